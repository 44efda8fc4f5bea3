"""Processes and ports of the local stack: whether a port answers, and what ``make up``
knows of a process it recorded by pid, from ``/proc``.

A recorded pid is trusted only while it is still that process: not a zombie (a service
killed a moment ago and not yet reaped still answers ``kill(pid, 0)``), and with the
command line ``make up`` started it with (the pid may since belong to another program).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import time
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f}s")


def state(pid: int) -> str | None:
    """The process's state letter (R, S, D, Z…), None when there is no such process."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[0]  # the name in parentheses may hold spaces


def command_line(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def gone(pid: int) -> bool:
    """True once ``pid`` has ended, even if nobody has reaped it yet."""
    if not PROC.joinpath("self").exists():  # no /proc: all that can be asked is the pid
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
    return state(pid) in (None, "Z", "X")


def runs(pid: int, markers: Iterable[str]) -> bool:
    """True if ``pid`` is a live process whose command line holds one of ``markers``."""
    if gone(pid):
        return False
    if not PROC.joinpath("self").exists():
        return True
    line = " ".join(command_line(pid))
    return any(marker in line for marker in markers)


def stop_pid(pid: int, timeout_s: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within ``timeout_s``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gone(pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def option(pid: int, name: str) -> str | None:
    """The value of ``name`` (``--port``) on the process's command line."""
    argv = command_line(pid)
    for flag, value in itertools.pairwise(argv):
        if flag == name:
            return value
    return None


def tail(path: Path, lines: int = 5) -> list[str]:
    """The last lines of a log, to show what a process said before it stopped."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]
