"""How often one person may be messaged on one channel: a sliding-window rate limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` messages per recipient and channel in any sliding ``window``."""

    limit: int = 3
    window: timedelta = timedelta(minutes=5)

    def next_slot(self, sent: Sequence[datetime], now: datetime) -> datetime:
        """When the next message may go: ``now``, or when enough recent ones leave the window."""
        recent = sorted(t for t in sent if t > now - self.window)
        if len(recent) < self.limit:
            return now
        return recent[len(recent) - self.limit] + self.window
