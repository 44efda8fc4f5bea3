"""The SLA scheduler: a background worker of every routing process that fires due timers.

Each loop leases the due timers nobody holds (``SlaStore.claim``, one conditional
write for the batch), fires them a few at a time through the case aggregate and
its outbox (``Router.fire``: ``SlaClocks.fire``), then sleeps until the next due timer or the
poll interval, whichever comes first. Several replicas share the work: a timer
is leased by one of them; if that one dies, its lease runs out and another
fires it; and even two firings of one timer commit once, because the case
write is versioned and the case records that the warning or breach happened.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import suppress
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import BaseModel, ConfigDict, Field

from runtime.clock import Clock, epoch_ms
from runtime.startup import failure
from services.routing.sla.service import Desks
from services.routing.sla.store import SlaStore, StoredTimer

log = logging.getLogger(__name__)


class Fires(Protocol):
    """Who fires a due timer: the router (``service.Router.fire``)."""

    async def fire(self, timer: StoredTimer, desks: Desks | None = None) -> bool: ...


class SlaSettings(BaseModel):
    """How often and how much the scheduler looks for due timers (``TRIPCARE_SLA_*``,
    read by ``config.RoutingSettings``)."""

    model_config = ConfigDict(frozen=True)

    poll_interval_s: float = Field(
        default=0.5, gt=0, le=1.0, description="Longest sleep between two looks at the timers."
    )
    lease_s: float = Field(
        default=10.0, gt=0, description="A claimed timer not fired within this goes to another."
    )
    batch: int = Field(default=200, ge=1, description="Timers claimed per look.")
    concurrency: int = Field(default=16, ge=1, description="Timers fired at once.")


class SlaScheduler:
    def __init__(
        self,
        sla: SlaStore,
        router: Fires,
        clock: Clock,
        settings: SlaSettings,
        registry: CollectorRegistry,
    ) -> None:
        self.sla = sla
        self.router = router
        self.clock = clock
        self.settings = settings
        self.owner = uuid.uuid4().hex
        self._loop: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lag = Histogram(
            "sla_timer_lag_seconds",
            "From a timer's due time to the start of its firing",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=registry,
        )
        self._failed = Counter(
            "sla_timer_failures", "Timers whose firing raised (retried later)", registry=registry
        )

    def start(self) -> None:
        self._stopping.clear()
        self._loop = asyncio.create_task(self._run(), name="sla-scheduler")

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop looking, let the firings in flight finish (cancelled after ``timeout_s``) and
        give back this process's leases, so another replica fires them without waiting."""
        self._stopping.set()
        if self._loop is not None:
            _, pending = await asyncio.wait([self._loop], timeout=timeout_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        try:
            await self.sla.release(self.owner)
        except Exception as exc:
            log.warning("SLA timer leases not released (they run out): %s", failure(exc))

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                fired = await self.tick()
                if fired >= self.settings.batch:
                    continue
                pause = await self._pause()
            except Exception as exc:
                log.warning("SLA scheduler look failed: %s", failure(exc))
                pause = self.settings.poll_interval_s
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def tick(self) -> int:
        """Claim and fire what is due now; returns how many timers were claimed."""
        now_ms = epoch_ms(self.clock.now())
        lease_ms = int(self.settings.lease_s * 1000)
        claimed = await self.sla.claim(self.owner, now_ms, lease_ms, self.settings.batch)
        gate = asyncio.Semaphore(self.settings.concurrency)
        done: list[StoredTimer] = []
        desks: Desks = {}  # each tenant's agents, queues and policy: read once per batch

        async def fire(timer: StoredTimer) -> None:
            async with gate:
                self._lag.observe(max(epoch_ms(self.clock.now()) - timer.due_ms, 0) / 1000)
                try:
                    if await self.router.fire(timer, desks):
                        done.append(timer)
                except Exception as exc:
                    self._failed.inc()
                    log.warning(
                        "SLA timer %s failed, retried after its lease: %s", timer.id, failure(exc)
                    )

        await asyncio.gather(*(fire(timer) for timer in claimed))
        await self.sla.fired(done)  # one write for the batch; a crash before it only refires
        return len(claimed)

    async def _pause(self) -> float:
        """Until the next due timer, but never longer than the poll interval."""
        next_due = await self.sla.next_due_ms(epoch_ms(self.clock.now()))
        if next_due is None:
            return self.settings.poll_interval_s
        wait = (next_due - epoch_ms(self.clock.now())) / 1000
        return min(max(wait, 0.005), self.settings.poll_interval_s)
