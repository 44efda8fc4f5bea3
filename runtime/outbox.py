"""The outbox relay: publishes committed events with publisher confirms.

Fast path: the repository hands every commit to ``committed`` and a worker
publishes it at once. Safety net: a sweeper republishes any outbox older than
``grace`` (process died after commit, broker was down). Either path may publish
a message twice; consumers are idempotent on the message id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from runtime.aggregate import OutboxMessage
from runtime.clock import Clock, epoch_ms

log = logging.getLogger(__name__)

Publish = Callable[[OutboxMessage], Awaitable[None]]
Commit = tuple[str, str, int, Sequence[OutboxMessage]]


class OutboxRelay:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        collections: Sequence[str],
        publish: Publish,
        clock: Clock,
        *,
        sweep_interval_s: float = 1.0,
        grace_s: float = 2.0,
        sweep_batch: int = 200,
        workers: int = 1,
    ) -> None:
        self._db = db
        self._collections = tuple(collections)
        self._publish = publish
        self._clock = clock
        self._sweep_interval_s = sweep_interval_s
        self._grace = timedelta(seconds=grace_s)
        self._sweep_batch = sweep_batch
        self._workers = workers
        self._queue: asyncio.Queue[Commit] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def committed(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None:
        self._queue.put_nowait((collection, doc_id, version, messages))

    def start(self) -> None:
        """Several workers: one commit at a time waits a publisher-confirm and a store round
        trip, which caps a single worker near 100 commits/s here (docs/sla.md)."""
        self._tasks = [
            *(
                asyncio.create_task(self._work(), name=f"outbox-worker-{n}")
                for n in range(self._workers)
            ),
            asyncio.create_task(self._sweep_forever(), name="outbox-sweeper"),
        ]

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Publish what is queued, then stop; anything left is the sweeper's next time."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            commit = await self._queue.get()
            try:
                await self._relay(*commit)
            except Exception as exc:
                log.warning("outbox publish deferred to sweeper: %r", exc)
            finally:
                self._queue.task_done()

    async def _relay(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None:
        await asyncio.gather(*(self._publish(message) for message in messages))
        await self._mark_published(collection, doc_id, version, [m.message_id for m in messages])

    async def _mark_published(
        self, collection: str, doc_id: str, version: int, message_ids: list[str]
    ) -> None:
        col = self._db[collection]
        cleared = await col.update_one(
            {"_id": doc_id, "version": version},
            {"$set": {"outbox": []}, "$unset": {"pending_ms": ""}, "$inc": {"version": 1}},
        )
        if cleared.matched_count == 0:
            await col.update_one(
                {"_id": doc_id},
                {
                    "$pull": {"outbox": {"message_id": {"$in": message_ids}}},
                    "$inc": {"version": 1},
                },
            )

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval_s)
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("outbox sweep failed: %r", exc)

    async def sweep(self) -> int:
        """Publish every outbox older than the grace period; returns how many messages."""
        cutoff = epoch_ms(self._clock.now() - self._grace)
        published = 0
        for name in self._collections:
            cursor = (
                self._db[name]
                .find({"pending_ms": {"$lt": cutoff}}, {"outbox": 1, "version": 1})
                .sort("pending_ms", 1)
                .limit(self._sweep_batch)
            )
            async for doc in cursor:
                messages = [OutboxMessage.model_validate(m) for m in doc.get("outbox", [])]
                await self._relay(name, doc["_id"], doc["version"], messages)
                published += len(messages)
        return published
