"""Admission control: refuse work at the door instead of queueing it inside the process.

Under overload, requests that wait in the process only time out at the caller
after they have taken memory and store capacity; refusing at once (503 +
Retry-After) lets the caller back off and retry while the desk catches up.
One event loop runs the guarded section, so a plain counter is exact: the
check and the increment happen without an ``await`` between them.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter


class Reason(StrEnum):
    IN_FLIGHT = "in_flight"
    OUTBOX_BACKLOG = "outbox_backlog"
    ACKNOWLEDGEMENT_LAG = "acknowledgement_lag"


class AtCapacity(Exception):
    """Refused without doing anything; the caller may retry after ``retry_after_s``."""

    def __init__(self, reason: Reason, retry_after_s: int) -> None:
        super().__init__(f"at capacity ({reason}): retry after {retry_after_s} s")
        self.reason = reason
        self.retry_after_s = retry_after_s


class Admission:
    """At most ``max_in_flight`` callers inside ``admit()``; none while ``backlog()`` is over
    ``max_backlog`` (the broker is not keeping up with what is already committed) or
    ``lag()`` over ``max_lag_s`` (the services after this one are not)."""

    def __init__(
        self,
        max_in_flight: int,
        *,
        registry: CollectorRegistry,
        backlog: Callable[[], int] | None = None,
        max_backlog: int = 0,
        lag: Callable[[], float] | None = None,
        max_lag_s: float = 0.0,
        retry_after_s: int = 1,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.backlog = backlog
        self.max_backlog = max_backlog
        self.lag = lag
        self.max_lag_s = max_lag_s
        self.retry_after_s = retry_after_s
        self.in_flight = 0
        self._refused = Counter(
            "admission_refused",
            "Requests refused at the door, by reason",
            ("reason",),
            registry=registry,
        )

    def _refusal(self) -> Reason | None:
        if self.in_flight >= self.max_in_flight:
            return Reason.IN_FLIGHT
        if self.backlog is not None and self.backlog() > self.max_backlog:
            return Reason.OUTBOX_BACKLOG
        if self.lag is not None and self.lag() > self.max_lag_s:
            return Reason.ACKNOWLEDGEMENT_LAG
        return None

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one slot for the block, or raise ``AtCapacity`` before it runs."""
        reason = self._refusal()
        if reason is not None:
            self._refused.labels(reason.value).inc()
            raise AtCapacity(reason, self.retry_after_s)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1


class LagWindow:
    """The median acknowledgement lag of the last ``window_s``.

    Intake's own door (requests in flight, relay backlog) does not see the
    services after it: at 50 contacts/s it accepted contacts that then waited
    16 s (p50) for their acknowledgement in notify's and routing's queues. The
    queues' ready counts do not show it either, since each consumer holds up to
    its prefetch unacked. The lag itself does: contact opened → acknowledgement
    delivered, as intake records it on the timeline. The median, not the worst:
    one traveller whose channel failed over after retries is slow alone, not
    the desk. With fewer than ``least`` recent observations the window reads 0,
    so shedding stops once the backlog has gone.
    """

    def __init__(
        self,
        window_s: float = 5.0,
        least: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.least = least
        self._monotonic = monotonic
        self._seen: deque[tuple[float, float]] = deque()

    def observe(self, lag_s: float) -> None:
        self._seen.append((self._monotonic(), lag_s))
        self._forget()

    def median(self) -> float:
        self._forget()
        if len(self._seen) < self.least:
            return 0.0
        return statistics.median(lag for _, lag in self._seen)

    def _forget(self) -> None:
        horizon = self._monotonic() - self.window_s
        while self._seen and self._seen[0][0] < horizon:
            self._seen.popleft()
