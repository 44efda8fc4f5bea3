"""The MongoDB wire-protocol servers the local stack and the tests start (``make up``,
``make test``, the benches), each in a child process on a port of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.processes import port_open, wait_for

STORES = ("nx", "secantus")
"""MongoDB wire-protocol servers from PyPI: nx-27017 (SQLite, the default) and SecantusDB
(WiredTiger, a single-node replica set: sessions, retryable writes, change streams)."""


def store_command(kind: str, port: int, data_dir: Path, log_file: Path) -> list[str]:
    binaries = Path(sys.executable).parent
    if kind == "nx":
        return [
            sys.executable,
            str(Path(__file__).with_name("nx_store.py")),
            *("--data-dir", str(data_dir), "--port", str(port)),
            *("--log-file", str(log_file), "--pid-file", str(data_dir / "nx.pid")),
        ]
    if kind == "secantus":
        return [
            str(binaries / "secantusd-py"),
            *("--host", "127.0.0.1", "--port", str(port), "--storage-path", str(data_dir)),
            *("--cache-size", "256M", "--log-level", "WARNING"),
        ]
    raise ValueError(f"unknown store {kind!r}: one of {', '.join(STORES)}")


def start_store(
    port: int, data_dir: Path, log_file: Path, kind: str = "nx"
) -> subprocess.Popen[bytes]:
    """Start a store server (``STORES``) in the foreground of a child process."""
    command = store_command(kind, port, data_dir, log_file)
    data_dir.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:  # nx-27017 writes its own (--log-file)
        output = subprocess.DEVNULL if kind == "nx" else log
        process = subprocess.Popen(command, stdout=output, stderr=output, start_new_session=True)
    wait_for(lambda: port_open("127.0.0.1", port), 60, kind)
    return process
