"""Dovecot's pid file is read only once the number is in it."""

from __future__ import annotations

from pathlib import Path

from deploy.dovecot import written_pid


def test_a_pid_file_not_yet_written_holds_no_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "master.pid"
    assert written_pid(pid_file) is None
    pid_file.write_text("")
    assert written_pid(pid_file) is None
    pid_file.write_text("4242\n")
    assert written_pid(pid_file) == 4242
