"""The peer's processes: its own virtualenv, a fresh database, gunicorn and an SMTP sink.

The virtualenv lives in ``.data/peer/venv`` (git-ignored) and is rebuilt only when
``requirements.txt`` changes; nothing of the peer ever enters the project's ``.venv``.
Each run gets a fresh SQLite database and maildir in a temporary directory, and
listens on free ports of 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import closing
from email.parser import BytesHeaderParser
from pathlib import Path

from deploy import local

PEER = Path(__file__).resolve().parent
ROOT = PEER.parents[1]
REQUIREMENTS = PEER / "requirements.txt"
VENV = ROOT / ".data" / "peer" / "venv"
LOGS = ROOT / ".data" / "peer" / "logs"
WORKERS = 2


def ensure_venv(venv: Path = VENV) -> Path:
    """The peer's interpreter, (re)installing its pinned packages when requirements.txt changed."""
    if Path(sys.prefix).resolve() == venv.resolve():
        raise RuntimeError("the peer must run from its own virtualenv, not the harness's")
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    marker, python = venv / ".installed", venv / "bin" / "python"
    if python.exists() and marker.exists() and marker.read_text() == digest:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    print(f"installing the peer into {venv.relative_to(ROOT)} …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
        check=True,
        timeout=900,
        env=clean_env(),
    )
    marker.write_text(digest)
    return python


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the harness's virtualenv, so the peer sees only its own."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, "DJANGO_SETTINGS_MODULE": "peersite.settings", **extra}


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


class PeerStack:
    """django-helpdesk under gunicorn (2 sync workers) mailing an aiosmtpd maildir sink."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self.workdir = Path(tempfile.mkdtemp(prefix="tripcare-peer-"))
        self.database = self.workdir / "helpdesk.sqlite3"
        self.maildir = self.workdir / "mail"
        self.port = local.free_port()
        self.smtp_port = local.free_port()
        self.env = clean_env(PEER_DATA_DIR=str(self.workdir), PEER_SMTP_PORT=str(self.smtp_port))
        self.token = ""
        self.queue = 0
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.sink: subprocess.Popen[bytes] | None = None
        self._recipients: dict[str, list[str]] = {}  # maildir file → its envelope recipients

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Migrate a fresh database, then start the sink and gunicorn; wait for both workers."""
        prepared = subprocess.run(
            [str(self.python), "-m", "peersite.prepare"],
            cwd=PEER,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if prepared.returncode != 0:
            raise RuntimeError(f"peersite.prepare failed:\n{prepared.stderr[-3000:]}")
        setup = json.loads(prepared.stdout.strip().splitlines()[-1])
        self.token, self.queue = setup["token"], int(setup["queue"])
        LOGS.mkdir(parents=True, exist_ok=True)
        self.sink = local.start_smtp_sink(self.smtp_port, self.maildir, LOGS / "smtp.log")
        gunicorn = self.python.with_name("gunicorn")
        self.gunicorn = subprocess.Popen(
            [
                str(gunicorn),
                "peersite.wsgi:application",
                f"--workers={WORKERS}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{self.port}",
                "--no-control-socket",  # its default is one path in $HOME, shared by every run
                f"--error-logfile={LOGS / 'gunicorn.log'}",
                "--log-level=warning",
            ],
            cwd=PEER,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            local.wait_for(lambda: local.port_open("127.0.0.1", self.port), 60, "gunicorn")
            local.wait_for(lambda: len(self.workers()) == WORKERS, 60, "gunicorn workers")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; see {LOGS / 'gunicorn.log'}") from exc

    def workers(self) -> list[int]:
        return children(self.gunicorn.pid) if self.gunicorn else []

    def pids(self) -> dict[str, list[int]]:
        """The processes whose CPU a ticket costs, by role."""
        assert self.gunicorn is not None, "start() first"
        assert self.sink is not None, "start() first"
        return {
            "gunicorn workers": self.workers(),
            "gunicorn master": [self.gunicorn.pid],
            "smtp sink": [self.sink.pid],
        }

    def tickets_by_submitter(self) -> Counter[str]:
        """Rows of ``helpdesk_ticket`` per submitter address, read from the database itself."""
        with closing(sqlite3.connect(self.database, timeout=30)) as db:
            rows = db.execute(
                "SELECT submitter_email, COUNT(*) FROM helpdesk_ticket GROUP BY submitter_email"
            ).fetchall()
        return Counter({str(email): int(count) for email, count in rows})

    def mails_by_recipient(self) -> Counter[str]:
        """Messages the sink kept, per envelope recipient (each file is read once)."""
        new = self.maildir / "new"
        for path in new.iterdir() if new.exists() else ():
            if path.name not in self._recipients:
                with path.open("rb") as message:
                    header = BytesHeaderParser().parse(message).get("X-RcptTo", "")
                self._recipients[path.name] = [r.strip() for r in header.split(",") if r.strip()]
        return Counter(r for recipients in self._recipients.values() for r in recipients)

    def close(self) -> None:
        for process in (self.gunicorn, self.sink):
            if process is not None and process.poll() is None:
                local.stop_pid(process.pid, timeout_s=20)
                process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)
