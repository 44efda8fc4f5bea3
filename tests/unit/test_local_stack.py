"""deploy/local.py stops only what it started, by pid: a shared broker it did not start is
never killed, however wedged it looks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy import local, processes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """Every command local.py runs (none is run); the broker record lives in tmp_path."""
    ran: list[list[str]] = []

    def run(command: list[str], *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        ran.append(list(command))
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(local.subprocess, "run", run)
    monkeypatch.setattr(local, "BROKER_PID", tmp_path / "rabbitmq.pid")
    return ran


def test_a_wedged_broker_someone_else_started_is_left_alone(commands: list[list[str]]) -> None:
    with pytest.raises(RuntimeError, match="did not start it"):
        local._restart_local_rabbitmq("127.0.0.1", 5672, "does not answer AMQP")
    assert commands == []


def detached(script: Path) -> int:
    """A process named like a broker that is not this test's child (as a detached broker)."""
    shell = subprocess.Popen(
        ["/bin/sh", "-c", f"/bin/sh {script} >/dev/null 2>&1 & echo $!"],
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = shell.communicate(timeout=10)
    return int(out)


def alive(pid: int) -> bool:
    """Running: a stopped process nobody has reaped yet (a zombie) is not."""
    return not processes.gone(pid)


def test_a_broker_this_checkout_started_is_stopped_by_its_pid_alone(
    commands: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "beam.smp"
    script.write_text("while :; do sleep 1; done\n")
    script.chmod(0o755)
    broker, bystander = detached(script), detached(script)
    try:
        local.BROKER_PID.write_text(str(broker))
        restarted: list[int] = []
        monkeypatch.setattr(local, "port_open", lambda *a, **k: False)
        monkeypatch.setattr(local, "_start_local_rabbitmq", lambda h, p: restarted.append(p))

        local._restart_local_rabbitmq("127.0.0.1", 5672, "does not answer AMQP")

        assert not alive(broker)
        assert alive(bystander)
        assert restarted == [5672]
        assert commands == []
    finally:
        for pid in (broker, bystander):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_a_recorded_pid_that_is_no_broker_any_more_is_not_ours(
    commands: list[list[str]],
) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        local.BROKER_PID.write_text(str(sleeper.pid))
        assert local.started_broker() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_nothing_in_the_local_runner_kills_by_name() -> None:
    source = (ROOT / "deploy" / "local.py").read_text()
    for broad in ("pkill", "killall", '"rabbitmqctl", "stop"'):
        assert broad not in source


def test_a_fresh_machine_gets_the_demo_mailbox_dovecot_installed_as_root(
    commands: list[list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The README's mail demo needs a Dovecot: `make up` installs it as it installs RabbitMQ."""
    monkeypatch.setattr(local.os, "geteuid", lambda: 0)
    monkeypatch.setattr(local.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(local, "_alive", lambda name: False)
    monkeypatch.setattr(local, "port_open", lambda host, port: False)
    monkeypatch.setattr(local.dovecot, "available", lambda: False)
    local.start_demo_mailbox()
    assert ["apt-get", "install", "-yq", "dovecot-imapd"] in commands


def test_without_root_the_demo_mailbox_is_skipped_saying_how_to_get_it(
    commands: list[list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(local.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(local, "_alive", lambda name: False)
    monkeypatch.setattr(local, "port_open", lambda host, port: False)
    monkeypatch.setattr(local.dovecot, "available", lambda: False)
    local.start_demo_mailbox()
    assert commands == []
    assert "apt-get install dovecot-imapd" in capsys.readouterr().out
