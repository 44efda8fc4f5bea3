"""``make up`` after a crash: a recorded pid counts as running only while it is that
process and not a zombie; a service that dies at start-up, or a store on another port than
asked for, ends ``make up`` at once with one line naming what and where its log is."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy import local, processes

SLEEP = "import time; time.sleep(60)"


@pytest.fixture
def data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """``.data`` of a checkout at tmp_path."""
    monkeypatch.setattr(local, "ROOT", tmp_path)
    monkeypatch.setattr(local, "DATA", tmp_path / ".data")
    (tmp_path / ".data" / "pids").mkdir(parents=True)
    return tmp_path / ".data"


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[bytes]]]:
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        child.wait(10)


def spawn(children: list[subprocess.Popen[bytes]], *argv: str) -> subprocess.Popen[bytes]:
    """A process whose command line holds ``argv`` (as a service's or the store's would)."""
    child = subprocess.Popen([sys.executable, "-c", SLEEP, *argv])
    children.append(child)
    return child


def record(data: Path, name: str, pid: int) -> None:
    (data / "pids" / f"{name}.pid").write_text(str(pid))


def test_a_killed_service_left_a_zombie_is_not_running(
    data: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    """kill -9 left the process unreaped for a moment: os.kill(pid, 0) still succeeded."""
    service = spawn(spawned, "-m", "services.notify.main")
    record(data, "notify", service.pid)
    assert local._alive("notify")

    service.kill()
    deadline = time.monotonic() + 10
    while processes.state(service.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)

    assert processes.state(service.pid) == "Z"
    assert not local._alive("notify")


def test_a_pid_now_held_by_another_program_is_not_ours(
    data: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    stranger = spawn(spawned, "-m", "services.routing.main")
    record(data, "notify", stranger.pid)

    assert not local._alive("notify")


def test_down_leaves_a_process_that_took_a_recorded_pid_alone(
    data: Path, spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "BROKER_PID", data / "pids" / "rabbitmq.pid")
    stranger = spawn(spawned, "some-editor")
    record(data, "notify", stranger.pid)

    local.down()

    assert stranger.poll() is None
    assert not (data / "pids" / "notify.pid").exists()


def test_a_service_that_exits_at_start_up_ends_the_wait_at_once(data: Path, tmp_path: Path) -> None:
    log = data / "logs" / "notify.log"
    log.parent.mkdir()
    log.write_text("".join(f"line {n}\n" for n in range(20)))
    crashed = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    crashed.wait(10)
    started = time.monotonic()

    with pytest.raises(local.StackError) as failed:
        local.await_services({"notify": (local.free_port(), crashed)}, timeout_s=30)

    assert time.monotonic() - started < 5
    message = str(failed.value)
    assert message.splitlines()[0] == (
        "notify exited at start-up (status 3): see .data/logs/notify.log"
    )
    assert message.splitlines()[1:] == [f"  line {n}" for n in range(15, 20)]


def test_a_service_never_ready_names_its_log_without_a_traceback(
    data: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    silent = spawn(spawned, "-m", "services.notify.main")

    with pytest.raises(local.StackError) as failed:
        local.await_services({"notify": (local.free_port(), silent)}, timeout_s=0.3)

    assert str(failed.value).startswith(
        "notify /readyz not ready after 0.3s: see .data/logs/notify.log"
    )


def test_the_store_on_another_port_than_asked_is_an_error_not_a_mismatch(
    data: Path, spawned: list[subprocess.Popen[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Services restarted against MONGO_PORT=27217 exited while the store stayed on 27117."""
    store = spawn(spawned, "deploy/nx_store.py", "--data-dir", "x", "--port", "27117")
    record(data, "store", store.pid)
    monkeypatch.setattr(local, "ensure_rabbitmq", lambda url: False)
    monkeypatch.setenv("MONGO_PORT", "27217")
    monkeypatch.delenv("MONGO_URL", raising=False)
    monkeypatch.setattr(local, "start_service", pytest.fail)

    with pytest.raises(local.StackError, match=r"nx-27017 runs on port 27117 .* not 27217"):
        local.up()
    assert store.poll() is None


def test_make_up_prints_one_line_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails() -> None:
        raise local.StackError("notify exited at start-up (status 3): see .data/logs/notify.log")

    monkeypatch.setattr(local, "up", fails)
    monkeypatch.setattr(sys, "argv", ["local", "up"])

    with pytest.raises(SystemExit) as stopped:
        local.main()

    assert stopped.value.code == (
        "make up: notify exited at start-up (status 3): see .data/logs/notify.log"
    )


def test_a_service_port_held_by_a_stranger_stops_make_up_before_anything_starts(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A foreign server on 8004: feedback connected, started its consumers, then failed to
    bind, and make up showed the last lines of its shutdown, not why."""
    monkeypatch.setattr(local, "ensure_rabbitmq", lambda url: False)
    monkeypatch.setattr(local, "start_demo_mailbox", lambda: None)
    monkeypatch.setenv("MONGO_URL", "mongodb://127.0.0.1:1/")
    monkeypatch.setattr(local, "start_service", pytest.fail)
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        monkeypatch.setattr(local, "SERVICES", {"feedback": port})
        monkeypatch.setattr(local, "_alive", lambda name: name == "smtp")

        with pytest.raises(local.StackError) as failed:
            local.up()

    assert str(failed.value).startswith(
        f"port {port} of feedback is taken by a process make up did not start"
    )


def test_make_up_again_names_each_service_it_restarts(
    data: Path,
    spawned: list[subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After a kill -9 the operator runs ``make up`` again: it says which service it started
    (and its pid), not only that all four are ready, and nothing of those still running."""
    running = spawn(spawned, "-m", "services.routing.main")
    record(data, "routing", running.pid)

    def start(name: str, port: int, env: object, log: Path) -> subprocess.Popen[bytes]:
        return spawn(spawned, "-m", f"services.{name}.main")

    monkeypatch.setattr(local, "start_service", start)
    assert local._start("routing", 8002, {}) is None
    restarted = local._start("notify", 8003, {})
    assert restarted is not None
    out = capsys.readouterr().out
    assert out == f"started notify (pid {restarted.pid}, log .data/logs/notify.log)\n"
