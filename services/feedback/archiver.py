"""The archiver: runs retention now and then beside the consumers (a ``runtime.service.Worker``).

What it moves and why nothing is lost is ``Feedback.archive`` (``service.py``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from services.feedback.service import Feedback

log = logging.getLogger(__name__)


class Archiver:
    """Runs retention now and then beside the consumers (a ``runtime.service.Worker``)."""

    def __init__(self, feedback: Feedback, interval: timedelta) -> None:
        self.feedback = feedback
        self.interval_s = interval.total_seconds()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="feedback-archiver")

    async def stop(self, timeout_s: float) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                moved = await self.feedback.archive(self.feedback.clock.now())
                if any(moved.values()):
                    log.info("archived %s", moved)
            except Exception as exc:
                log.warning("archiving failed, will retry: %r", exc)
