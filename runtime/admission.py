"""Admission control: refuse work at the door instead of queueing it inside the process.

Under overload, requests that wait in the process only time out at the caller
after they have taken memory and store capacity; refusing at once (503 +
Retry-After) lets the caller back off and retry while the desk catches up.
One event loop runs the guarded section, so a plain counter is exact: the
check and the increment happen without an ``await`` between them.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter


class Reason(StrEnum):
    IN_FLIGHT = "in_flight"
    OUTBOX_BACKLOG = "outbox_backlog"
    ACKNOWLEDGEMENT_LAG = "acknowledgement_lag"
    REQUEST_AGE = "request_age"


MAX_PLAUSIBLE_AGE_S = 3600.0


def request_age(header: str | None, now_s: float) -> float | None:
    """How long ago the proxy in front received the request, from its ``X-Request-Start``
    (``t=<epoch>`` or a bare number, in seconds, milliseconds or microseconds, as NGINX,
    Heroku and others write it); ``None`` when absent, unreadable or implausible (in the
    future beyond a second of clock skew, or older than an hour)."""
    if not header:
        return None
    raw = header.strip().removeprefix("t=")
    try:
        stamp = float(raw)
    except ValueError:
        return None
    if not math.isfinite(stamp) or stamp <= 0:
        return None
    if stamp > 1e14:
        stamp /= 1e6
    elif stamp > 1e11:
        stamp /= 1e3
    age = now_s - stamp
    if age < -1.0 or age > MAX_PLAUSIBLE_AGE_S:
        return None
    return max(age, 0.0)


class AtCapacity(Exception):
    """Refused without doing anything; the caller may retry after ``retry_after_s``."""

    def __init__(self, reason: Reason, retry_after_s: int) -> None:
        super().__init__(f"at capacity ({reason}): retry after {retry_after_s} s")
        self.reason = reason
        self.retry_after_s = retry_after_s


class Admission:
    """At most ``max_in_flight`` callers inside ``admit()``; none while ``backlog()`` is over
    ``max_backlog`` (the broker is not keeping up with what is already committed); and, in
    turn, the share each of ``shedders`` steers, named by its reason: the services after
    this one not keeping up (the acknowledgement lag), or this one's own door.

    ``ages`` hears how long each request waited before this process read it
    (``request_age``). Requests a process has not read yet wait in its sockets, where
    neither the in-flight count nor the acknowledgement lag sees them: at 50 contacts/s on
    two cores intake answered in under a second once it read a request, while contacts
    waited seconds for their acknowledgement (docs/benchmarks.md); a shedder on these
    ages refuses for that wait."""

    def __init__(
        self,
        max_in_flight: int,
        *,
        registry: CollectorRegistry,
        backlog: Callable[[], int] | None = None,
        max_backlog: int = 0,
        shedders: Mapping[Reason, Shedder] | None = None,
        ages: LagWindow | None = None,
        retry_after_s: int = 1,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.backlog = backlog
        self.max_backlog = max_backlog
        self.shedders = dict(shedders or {})
        self.ages = ages
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
        for reason, shedder in self.shedders.items():
            if shedder.refuse():
                return reason
        return None

    @contextmanager
    def admit(self, age_s: float | None = None) -> Iterator[None]:
        """Hold one slot for the block, or raise ``AtCapacity`` before it runs; ``age_s``:
        how long the request waited before this process read it, if a proxy said."""
        if age_s is not None and self.ages is not None:
            self.ages.observe(age_s)
        reason = self._refusal()
        if reason is not None:
            self._refused.labels(reason.value).inc()
            raise AtCapacity(reason, self.retry_after_s)
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1


class Shedder:
    """The share of requests to refuse, steered by a lag towards ``target_s``.

    An on/off gate on the acknowledgement lag overshoots both ways, because the
    lag arrives one lag late: at 50 contacts/s against ~43/s of capacity a 1 s
    gate refused 33 % of contacts, and a 5 s one let the rest wait 12.6 s
    (p99). This is the controller of PIE (RFC 8033) on that lag instead: every
    ``interval_s`` the share moves by ``alpha`` times the lag's distance from the
    target and ``beta`` times its change since the last look (both in targets),
    within 0 and ``most`` (never up while the lag is under the target), so it
    settles near the excess over capacity and some
    requests always pass to keep the lag measured. Refusals are spread evenly
    (every request adds ``1 - share`` of a pass), not drawn at random.
    """

    def __init__(
        self,
        lag: Callable[[], float],
        target_s: float,
        *,
        interval_s: float = 0.5,
        alpha: float = 0.1,
        beta: float = 1.0,
        most: float = 0.95,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if target_s <= 0:
            raise ValueError("the lag's target must be positive")
        self.lag = lag
        self.target_s = target_s
        self.interval_s = interval_s
        self.alpha = alpha
        self.beta = beta
        self.most = most
        self.share = 0.0
        self._monotonic = monotonic
        self._looked_at = -math.inf
        self._last_lag = 0.0
        self._passes = 0.0

    def refuse(self) -> bool:
        """Whether this request is one of the share refused."""
        self._steer()
        if self.share <= 0.0:
            return False
        self._passes += 1.0 - self.share
        if self._passes >= 1.0:
            self._passes -= 1.0
            return False
        return True

    def _steer(self) -> None:
        now = self._monotonic()
        if now - self._looked_at < self.interval_s:
            return
        self._looked_at = now
        lag = self.lag()
        step = self.alpha * (lag - self.target_s) + self.beta * (lag - self._last_lag)
        if lag < self.target_s:
            step = min(step, 0.0)  # a lag rising under its target is load, not a backlog
        self._last_lag = lag
        self.share = min(self.most, max(0.0, self.share + step / self.target_s))
        if self.share == 0.0:
            self._passes = 0.0


class LagWindow:
    """The median acknowledgement lag of the last ``window_s``.

    Intake's own door (requests in flight, relay backlog) does not see the
    services after it: at 50 contacts/s it accepted contacts that then waited
    16 s (p50) for their acknowledgement in notify's and routing's queues. The
    queues' ready counts do not show it either, since each consumer holds up to
    its prefetch unacked. The lag itself does: contact opened → notify takes up
    its acknowledgement, as notify reports it (``runtime.lag_reports``; the
    channel's own delivery time is left out: a slow e-mail relay is no
    backlog). The median, not the worst: one delivery that waited behind a
    retry is slow alone, not the desk. With fewer than ``least`` recent
    observations the window reads 0, so shedding stops once the backlog has gone.
    """

    def __init__(
        self,
        window_s: float = 2.0,
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
