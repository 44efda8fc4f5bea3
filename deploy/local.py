"""The local stack behind ``make up`` / ``make down`` and the test fixtures.

Starts what is missing and remembers what it started (by pid), so ``down`` stops
only that, and nothing here stops or kills a process it did not start: RabbitMQ
from the OS packages, nx-27017 (MongoDB wire protocol over
SQLite) with its data under ``.data/``, an SMTP sink (aiosmtpd) that keeps
notify's e-mail in the maildir ``.data/mail``, a Dovecot IMAP server holding the
demo support mailbox (when ``dovecot-imapd`` is installed), and the four services.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import urlopen

from deploy import dovecot, processes
from deploy.processes import free_port as free_port
from deploy.processes import port_open, stop_pid, wait_for
from deploy.stores import STORES as STORES
from deploy.stores import start_store
from deploy.stores import store_command as store_command

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
SERVICES = {"intake": 8001, "routing": 8002, "notify": 8003, "feedback": 8004}


def amqp_answers(host: str, port: int, timeout_s: float = 5.0) -> bool:
    """True if the broker completes the first step of the AMQP 0-9-1 handshake.

    An open port is not enough: a wedged RabbitMQ 3.10 (seen here after heavy
    quorum-queue churn) accepts TCP connections and never answers them.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.settimeout(timeout_s)
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            return sock.recv(1) == b"\x01"
    except OSError:
        return False


def _apt_install(package: str) -> bool:
    """Install a Debian package as root, as a fresh machine's `make up` needs; False if apt
    could not (no apt-get, not root, no mirror)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    installed = subprocess.run(["apt-get", "install", "-yq", package], env=env, check=False)
    if installed.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
        installed = subprocess.run(["apt-get", "install", "-yq", package], env=env, check=False)
    return installed.returncode == 0


def _start_local_rabbitmq(host: str, port: int) -> None:
    """Start the OS's RabbitMQ and record its pid: the only broker this checkout may stop."""
    if shutil.which("rabbitmq-server") is None and not _apt_install("rabbitmq-server"):
        raise RuntimeError("rabbitmq-server is not installed: apt-get install rabbitmq-server")
    pid_file = Path(tempfile.gettempdir()) / f"tripcare-rabbitmq-{os.getpid()}.pid"
    if os.geteuid() == 0 and Path(DEBIAN_RABBITMQ).exists():
        # Debian's wrapper `su`s to rabbitmq, which resets the open-files limit to 1024; each
        # quorum queue holds file handles, and at that limit new AMQP connections hang forever.
        command = (
            f"ulimit -n $(ulimit -Hn) && RABBITMQ_PID_FILE={pid_file} {DEBIAN_RABBITMQ} -detached"
        )
        subprocess.run(
            ["su", "rabbitmq", "-s", "/bin/sh", "-c", command], check=True, cwd="/var/lib/rabbitmq"
        )
    else:
        env = {**os.environ, "RABBITMQ_PID_FILE": str(pid_file)}
        subprocess.run(["rabbitmq-server", "-detached"], check=True, env=env)
    wait_for(lambda: amqp_answers(host, port, 2.0), 120, "RabbitMQ")
    wait_for(lambda: _read_pid(pid_file) is not None, 30, "RabbitMQ's pid file")
    BROKER_PID.parent.mkdir(parents=True, exist_ok=True)
    BROKER_PID.write_text(str(_read_pid(pid_file)))
    with contextlib.suppress(OSError):
        pid_file.unlink()


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def started_broker() -> int | None:
    """The pid of the RabbitMQ this checkout started (``make up`` or a test session), if it
    still runs; None for a broker someone else started, which is never stopped from here."""
    pid = _read_pid(BROKER_PID)
    if pid is None:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return pid if b"beam.smp" in cmdline else None


DEBIAN_RABBITMQ = "/usr/lib/rabbitmq/bin/rabbitmq-server"
MIN_BROKER_FILES = 4096
BROKER_PID = DATA / "pids" / "rabbitmq.pid"


def local_broker_file_limit() -> int | None:
    """The soft open-files limit of the local RabbitMQ node, if one runs and we may look."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"beam.smp" not in cmdline or b"rabbit" not in cmdline:
                continue
            for line in (proc / "limits").read_text().splitlines():
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        except (OSError, ValueError):
            continue
    return None


def _restart_local_rabbitmq(host: str, port: int, why: str) -> None:
    """Restart a local broker this checkout started (by its pid: SIGTERM, SIGKILL after 30 s);
    one started by anyone else may serve others too, so it is left alone."""
    pid = started_broker()
    if pid is None:
        raise RuntimeError(
            f"the local RabbitMQ {why}, and this checkout did not start it: restart it "
            "yourself (rabbitmqctl stop; rabbitmq-server -detached)"
        )
    print(f"the local RabbitMQ {why}: restarting it (pid {pid})", file=sys.stderr)
    stop_pid(pid, timeout_s=30)
    wait_for(lambda: not port_open(host, port), 30, "RabbitMQ to stop")
    _start_local_rabbitmq(host, port)


def ensure_rabbitmq(amqp_url: str) -> bool:
    """Make sure a broker answers at ``amqp_url``; returns True if this call started it."""
    parts = urlsplit(amqp_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    local = host in ("127.0.0.1", "localhost")
    if port_open(host, port):
        # A busy broker (2 cores, many test runs) can take seconds to answer: only three
        # silent handshakes in a row mean wedged; restarting a slow one breaks every client.
        limit = local_broker_file_limit() if local and os.geteuid() == 0 else None
        if limit is not None and limit < MIN_BROKER_FILES:
            if started_broker() is not None:
                _restart_local_rabbitmq(host, port, f"may open only {limit} files")
                return True
            print(f"warning: the local RabbitMQ may open only {limit} files", file=sys.stderr)
        if any(amqp_answers(host, port, timeout_s=10.0) for _ in range(3)):
            return False
        if not local:
            raise RuntimeError(f"RabbitMQ at {host}:{port} accepts TCP but does not answer AMQP")
        _restart_local_rabbitmq(host, port, "does not answer AMQP")
        return True
    if not local:
        raise RuntimeError(f"RabbitMQ at {host}:{port} is unreachable")
    _start_local_rabbitmq(host, port)
    return True


def start_smtp_sink(port: int, maildir: Path, log_file: Path) -> subprocess.Popen[bytes]:
    """aiosmtpd accepting any mail on 127.0.0.1 and keeping it in a maildir, to read locally."""
    maildir.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(maildir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(lambda: port_open("127.0.0.1", port), 30, "SMTP sink")
    return process


def start_service(
    name: str, port: int, env: Mapping[str, str], log_file: Path
) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", f"services.{name}.main"],
            cwd=ROOT,
            env={**os.environ, **env, "TRIPCARE_SERVICE": name, "TRIPCARE_PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def ready(port: int) -> bool:
    try:
        with urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


def _pidfile(name: str) -> Path:
    return DATA / "pids" / f"{name}.pid"


MARKERS = {
    **{name: (f"services.{name}.main",) for name in SERVICES},
    "store": ("nx_store.py", "secantusd"),
    "smtp": ("aiosmtpd",),
    "imap": ("dovecot",),
}
"""What the command line of each process ``make up`` records holds."""


def _recorded(name: str) -> int | None:
    """The pid recorded for ``name`` if that process still runs (no zombie, not a stranger
    that took the pid since)."""
    pid = _read_pid(_pidfile(name))
    return pid if pid is not None and processes.runs(pid, MARKERS[name]) else None


def _alive(name: str) -> bool:
    return _recorded(name) is not None


class StackError(RuntimeError):
    """Why ``make up`` stops, in a line or two an operator acts on (no traceback)."""


def _log(name: str) -> Path:
    return DATA / "logs" / f"{name}.log"


def _failure(name: str, what: str) -> StackError:
    log = _log(name)
    shown = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
    lines = [f"{name} {what}: see {shown}", *(f"  {line}" for line in processes.tail(log))]
    return StackError("\n".join(lines))


def await_services(
    services: Mapping[str, tuple[int, subprocess.Popen[bytes] | None]], timeout_s: float = 90.0
) -> None:
    """Wait for every service's /readyz; one that exits (``make up`` started it) or stops
    (an earlier one did) ends the wait at once, naming its log."""
    pending = dict(services)
    deadline = time.monotonic() + timeout_s
    while True:
        for name, (port, process) in list(pending.items()):
            if process is not None and (status := process.poll()) is not None:
                raise _failure(name, f"exited at start-up (status {status})")
            if process is None and not _alive(name):
                raise _failure(name, "stopped")
            if ready(port):
                del pending[name]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise _failure(next(iter(pending)), f"/readyz not ready after {timeout_s:g}s")
        time.sleep(0.1)


def _ensure_store(port: int) -> None:
    """The local nx-27017 on ``port``: one an earlier ``make up`` started on another port
    is an error (services would be pointed at a port nothing serves), not moved under them."""
    if (pid := _recorded("store")) is not None:
        running = processes.option(pid, "--port")
        if running is not None and running != str(port):
            raise StackError(
                f"nx-27017 runs on port {running} (pid {pid}, from an earlier make up), "
                f"not {port} (MONGO_PORT): run make down first to move it, "
                f"or use MONGO_PORT={running}"
            )
        return
    if port_open("127.0.0.1", port):
        raise StackError(f"port {port} is taken: set MONGO_PORT or MONGO_URL")
    store = start_store(port, DATA / "mongo", DATA / "logs" / "nx-27017.log")
    _pidfile("store").write_text(str(store.pid))
    print(f"started nx-27017 on {port} (data in .data/mongo)")


def up() -> None:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    mongo_port = int(os.environ.get("MONGO_PORT", "27117"))
    mongo_url = os.environ.get("MONGO_URL", f"mongodb://127.0.0.1:{mongo_port}/")
    (DATA / "pids").mkdir(parents=True, exist_ok=True)
    if ensure_rabbitmq(amqp_url):
        print(f"started RabbitMQ (pid {started_broker()})")
    if "MONGO_URL" not in os.environ:
        _ensure_store(mongo_port)
    smtp_port = int(os.environ.get("TRIPCARE_NOTIFY_SMTP_PORT", "8025"))
    if not _alive("smtp") and not port_open("127.0.0.1", smtp_port):
        sink = start_smtp_sink(smtp_port, DATA / "mail", DATA / "logs" / "smtp.log")
        _pidfile("smtp").write_text(str(sink.pid))
        print(f"started the SMTP sink on {smtp_port} (mail in .data/mail/new)")
    start_demo_mailbox()
    env = {
        "AMQP_URL": amqp_url,
        "MONGO_URL": mongo_url,
        "TRIPCARE_DEV_LOGIN": os.environ.get("TRIPCARE_DEV_LOGIN", "1"),
        # The README's demo mailbox is the local Dovecot on 127.0.0.1.
        "TRIPCARE_MAILBOX_ALLOW_PRIVATE_HOSTS": os.environ.get(
            "TRIPCARE_MAILBOX_ALLOW_PRIVATE_HOSTS", "true"
        ),
        # One demo airline partner, so the README's signed supplier event works locally.
        "TRIPCARE_SUPPLIER_PARTNERS": os.environ.get(
            "TRIPCARE_SUPPLIER_PARTNERS", '{"demo-air": {"secrets": ["local-partner-secret"]}}'
        ),
    }
    _ensure_ports_free()
    started = time.monotonic()
    # notify signs a cut reply's tracking link when no acknowledgement gave it one: intake's
    own = {"notify": {"TRIPCARE_PUBLIC_URL": f"http://127.0.0.1:{SERVICES['intake']}"}}
    await_services(
        {
            name: (port, _start(name, port, {**env, **own.get(name, {})}))
            for name, port in SERVICES.items()
        }
    )
    print(f"all four services ready in {time.monotonic() - started:.1f}s")
    for name, port in SERVICES.items():
        print(f"  {name:<9} http://127.0.0.1:{port}   (docs: /docs, logs: .data/logs/{name}.log)")
    print(f"  agent console http://127.0.0.1:{SERVICES['intake']}/console")
    print(f"  ops dashboard http://127.0.0.1:{SERVICES['feedback']}/dashboard")


def _ensure_ports_free() -> None:
    """Before starting anything: a service's port held by a process ``make up`` did not
    start is an error naming it. The service would connect, start its consumers and only
    then fail to bind, its log's last lines showing its shutdown instead of the cause."""
    for name, port in SERVICES.items():
        if not _alive(name) and port_open("127.0.0.1", port):
            raise StackError(
                f"port {port} of {name} is taken by a process make up did not start: "
                f"stop it (`ss -ltnp 'sport = :{port}'` names it)"
            )


def _start(name: str, port: int, env: Mapping[str, str]) -> subprocess.Popen[bytes] | None:
    """Start a service unless one an earlier ``make up`` started still runs (None then),
    saying so: after a crash, ``make up`` again names what it brought back."""
    if _alive(name):
        return None
    log = _log(name)
    process = start_service(name, port, env, log)
    _pidfile(name).write_text(str(process.pid))
    shown = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
    print(f"started {name} (pid {process.pid}, log {shown})")
    return process


DEMO_IMAP_USER = ("support", "support-demo")


def start_demo_mailbox() -> None:
    """A local Dovecot holding the demo tenant's support mailbox, when dovecot-imapd is there."""
    port = int(os.environ.get("TRIPCARE_DEMO_IMAP_PORT", "8143"))
    if _alive("imap") or port_open("127.0.0.1", port):
        return
    if not dovecot.available() and not (_apt_install("dovecot-imapd") and dovecot.available()):
        print("no dovecot: the README's mail demo needs `apt-get install dovecot-imapd`")
        return
    pid = dovecot.start(DATA / "imap", port, dict([DEMO_IMAP_USER]))
    _pidfile("imap").write_text(str(pid))
    wait_for(lambda: port_open("127.0.0.1", port), 30, "dovecot")
    user, password = DEMO_IMAP_USER
    print(f"started dovecot on {port} (IMAP user {user}, password {password})")


def down() -> None:
    for name in (*SERVICES, "smtp", "store"):
        if (pid := _recorded(name)) is not None:
            stop_pid(pid)
            print(f"stopped {name}")
        _pidfile(name).unlink(missing_ok=True)
    if _pidfile("imap").exists():
        dovecot.stop(DATA / "imap")
        _pidfile("imap").unlink()
        print("stopped dovecot")
    broker = started_broker()
    if broker is not None:
        stop_pid(broker, timeout_s=30)
        print("stopped RabbitMQ")
    BROKER_PID.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["up", "down"])
    args = parser.parse_args()
    try:
        up() if args.command == "up" else down()
    except (RuntimeError, TimeoutError) as exc:  # this module's own: the message says it all
        raise SystemExit(f"make {args.command}: {exc}") from None


if __name__ == "__main__":
    main()
