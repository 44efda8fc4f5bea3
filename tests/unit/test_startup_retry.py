"""A service that starts while its store or broker is unreachable waits for it, within a
budget, saying each time what it waits for; then gives up with one line naming the cause.

It used to give up at the first failure (5 s of server selection for the store, at once
for the broker) with only a traceback, and no line said what was unreachable.
"""

from __future__ import annotations

import logging

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from runtime.startup import StartupFailed, StartupRetry, masked_url, reason


class Unreachable(ConnectionError):
    pass


class FakeTime:
    """A monotonic clock that moves only when the retry sleeps or an attempt takes time."""

    def __init__(self, attempt_s: float = 0.0) -> None:
        self.now = 0.0
        self.attempt_s = attempt_s
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def failing(time: FakeTime, failures: int, error: Exception | None = None) -> object:
    """A step that fails ``failures`` times, then answers "up"."""
    calls = {"n": 0}

    async def step() -> str:
        calls["n"] += 1
        time.now += time.attempt_s
        if calls["n"] <= failures:
            raise error or Unreachable("Connect call failed")
        return "up"

    return step


def retry(time: FakeTime, budget_s: float) -> StartupRetry:
    return StartupRetry(budget_s, monotonic=time.monotonic, sleep=time.sleep)


async def test_a_step_is_retried_with_growing_pauses_and_a_warning_each_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime()
    caplog.set_level(logging.WARNING, "runtime.startup")

    answer = await retry(time, 60).run(
        "broker", "amqp://guest:secret@mq:5672/", failing(time, 3), (ConnectionError,)
    )

    assert answer == "up"
    assert time.pauses == [0.5, 1.0, 2.0]
    said = [record.getMessage() for record in caplog.records]
    assert said[0] == (
        "broker unreachable at amqp://guest:***@mq:5672/: Unreachable: Connect call failed; "
        "retrying in 0.5 s"
    )
    assert len(said) == 3
    assert all(record.levelname == "WARNING" for record in caplog.records)
    assert not any("secret" in line for line in said)


async def test_pauses_stop_growing_at_the_cap() -> None:
    time = FakeTime()

    await retry(time, 60).run("store", "mongodb://db/", failing(time, 6), (ConnectionError,))

    assert time.pauses == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


async def test_past_the_budget_it_gives_up_naming_what_where_and_why() -> None:
    time = FakeTime(attempt_s=1.0)
    last = Unreachable("Connect call failed")

    with pytest.raises(StartupFailed) as failed:
        await retry(time, 10).run(
            "broker", "amqp://guest:secret@mq:5999/", failing(time, 100, last), (ConnectionError,)
        )

    assert str(failed.value) == (
        "broker unreachable at amqp://guest:***@mq:5999/: Unreachable: Connect call failed; "
        "gave up after 5 attempts in 11 s (TRIPCARE_STARTUP_RETRY_S=10)"
    )
    assert failed.value.__cause__ is last
    assert time.pauses == [0.5, 1.0, 2.0, 2.5]  # the last pause ends at the budget


async def test_a_budget_of_zero_tries_once() -> None:
    time = FakeTime()

    with pytest.raises(StartupFailed, match="gave up after 1 attempt in 0 s"):
        await retry(time, 0).run("store", "mongodb://db/", failing(time, 1), (ConnectionError,))

    assert time.pauses == []


async def test_the_budget_is_shared_by_every_step() -> None:
    time = FakeTime()
    startup = retry(time, 4)
    await startup.run("store", "mongodb://db/", failing(time, 2), (ConnectionError,))

    with pytest.raises(StartupFailed):
        await startup.run("broker", "amqp://mq/", failing(time, 100), (ConnectionError,))

    assert time.pauses == [0.5, 1.0, 0.5, 1.0, 1.0]
    assert time.now == 4


async def test_an_error_that_is_not_an_outage_is_not_retried() -> None:
    time = FakeTime()

    with pytest.raises(ValueError, match="bad index"):
        await retry(time, 60).run(
            "store", "mongodb://db/", failing(time, 1, ValueError("bad index")), (ConnectionError,)
        )

    assert time.pauses == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("amqp://guest:guest@127.0.0.1:5999/", "amqp://guest:***@127.0.0.1:5999/"),
        ("amqps://tripcare:s3cret@mq.prod:5671/vhost", "amqps://tripcare:***@mq.prod:5671/vhost"),
        (
            "mongodb://app:p%40ss@m1:27017,m2:27017/tripcare?replicaSet=rs0&w=majority",
            "mongodb://app:***@m1:27017,m2:27017/tripcare",
        ),
        ("mongodb://127.0.0.1:27117/", "mongodb://127.0.0.1:27117/"),
        ("mongodb+srv://token@cluster.example/", "mongodb+srv://***@cluster.example/"),
    ],
)
def test_urls_are_shown_without_their_secrets(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_a_server_selection_error_is_told_by_its_head() -> None:
    error = ServerSelectionTimeoutError(
        "127.0.0.1:5998: [Errno 111] Connection refused (configured timeouts: "
        "socketTimeoutMS: 3000.0ms), Timeout: 5.0s, Topology Description: <…>"
    )

    assert reason(error) == (
        "ServerSelectionTimeoutError: 127.0.0.1:5998: [Errno 111] Connection refused"
    )
