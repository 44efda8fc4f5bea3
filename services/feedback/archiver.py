"""The archiver: runs retention now and then beside the consumers (a ``runtime.service.Worker``).

What it moves and why nothing is lost is ``Feedback.archive`` (``service.py``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from runtime.periodic import Periodic
from services.feedback.service import Feedback

log = logging.getLogger(__name__)


class Archiver(Periodic):
    """Runs retention now and then beside the consumers (a ``runtime.service.Worker``)."""

    def __init__(self, feedback: Feedback, interval: timedelta) -> None:
        super().__init__(
            "feedback-archiver",
            interval.total_seconds(),
            self.archive,
            failure="archiving failed, will retry",
        )
        self.feedback = feedback

    async def archive(self) -> None:
        moved = await self.feedback.archive(self.feedback.clock.now())
        if any(moved.values()):
            log.info("archived %s", moved)
