"""``Periodic``: a background step run every so often beside the consumers.

Sweepers, archivers, reporters and reconcilers all had the same loop: a task
started after the bus, a sleep, the step, a failure logged and tried again
next time, and a cancel on stop. One ``runtime.service.Worker`` serves them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from runtime.startup import failure

log = logging.getLogger(__name__)


class Periodic:
    """Awaits ``step`` every ``interval_s`` (first at once with ``at_once``, else after one
    interval); a failing step is logged as ``failure`` and the loop goes on."""

    def __init__(
        self,
        name: str,
        interval_s: float,
        step: Callable[[], Awaitable[object]],
        *,
        failure: str,
        at_once: bool = False,
    ) -> None:
        self.name = name
        self.interval_s = interval_s
        self.step = step
        self.failure = failure
        self.at_once = at_once
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, timeout_s: float) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        if not self.at_once:
            await asyncio.sleep(self.interval_s)
        while True:
            try:
                await self.step()
            except Exception as exc:
                log.warning("%s: %s", self.failure, failure(exc))
            await asyncio.sleep(self.interval_s)
