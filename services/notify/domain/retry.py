"""When a temporarily failed delivery is tried again: exponential back-off with jitter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with equal jitter: the n-th retry waits between half and all of
    ``min(cap, base · 2ⁿ⁻¹)``, so retries of many deliveries spread out but never bunch at 0.
    """

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=3)
    cap: timedelta = timedelta(minutes=5)

    def delay(self, attempt: int, jitter: float) -> timedelta:
        """Wait after the ``attempt``-th failed attempt; ``jitter`` is uniform in [0, 1)."""
        ceiling: timedelta = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling * (0.5 + jitter / 2)
