"""A service started while its broker is unreachable retries within its start-up budget
and then exits, with one ERROR line naming the cause and the traceback in ``exc``.

It used to exit at the first failure with the traceback as the line's ``msg``, and no
line said what was unreachable."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from deploy import local

pytestmark = pytest.mark.integration


def test_a_service_started_without_its_broker_retries_then_exits_naming_the_cause(
    mongo_url: str, tmp_path: Path
) -> None:
    port = local.free_port()  # nothing listens there
    log = tmp_path / "feedback.log"
    process = local.start_service(
        "feedback",
        local.free_port(),
        {
            "AMQP_URL": f"amqp://guest:hunter2@127.0.0.1:{port}/",
            "MONGO_URL": mongo_url,
            "TRIPCARE_NAMESPACE": "tstartup",
            "TRIPCARE_STARTUP_RETRY_S": "2",
        },
        log,
    )
    try:
        status = process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise

    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    where = f"broker unreachable at amqp://guest:***@127.0.0.1:{port}/"
    retries = [line for line in lines if line["level"] == "WARNING" and where in line["msg"]]
    (cause,) = [line for line in lines if line["level"] == "ERROR" and where in line["msg"]]
    assert status == 3
    assert len(retries) >= 2, text
    assert "\n" not in cause["msg"]
    assert "gave up after" in cause["msg"]
    assert "TRIPCARE_STARTUP_RETRY_S=2" in cause["msg"]
    assert "Traceback (most recent call last)" in cause["exc"]
    assert not [line for line in lines if line["msg"].startswith("Traceback")], text
    assert "hunter2" not in text


@pytest.mark.parametrize("variable", ["TRIPCARE_AMQP_URL", "AMQP_URL"])
def test_the_lines_of_an_unreachable_broker_name_the_variable_that_set_its_address(
    mongo_url: str, tmp_path: Path, variable: str
) -> None:
    """``TRIPCARE_AMQP_URL=amqp://nope`` (a host that does not exist) gave "broker unreachable
    at amqp://nope: … Name or service not known" and nothing said which setting to fix: the
    service reads the address from ``AMQP_URL`` or ``TRIPCARE_AMQP_URL``."""
    log = tmp_path / "feedback.log"
    env = {
        "MONGO_URL": mongo_url,
        "TRIPCARE_NAMESPACE": "tstartup",
        "TRIPCARE_STARTUP_RETRY_S": "1",
        variable: f"amqp://guest:guest@127.0.0.1:{local.free_port()}/",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AMQP_URL", "TRIPCARE_AMQP_URL"):
            patch.delenv(name, raising=False)
        process = local.start_service("feedback", local.free_port(), env, log)
    try:
        status = process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    said = [line for line in lines if "broker unreachable" in line["msg"]]
    assert status == 3
    assert said
    assert all(f"({variable})" in line["msg"] for line in said), said
