"""Time is injected: domain code takes ``now`` from a ``Clock``, never from the system."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


def epoch_ms(moment: datetime) -> int:
    """Integer epoch milliseconds, rounded down: stored due times are compared on these
    (nx-27017 compares dates only to the second)."""
    return int(moment.timestamp() * 1000)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
