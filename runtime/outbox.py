"""The outbox relay: publishes committed events with publisher confirms.

Fast path: the repository hands every commit to ``committed`` and a worker
publishes it at once; the published outboxes are then cleared in batches, one
bulk write per collection for whatever the workers finished meanwhile.
Safety net: a sweeper republishes any outbox older than ``grace`` (process
died after commit or before the clear, broker was down). Either path may
publish a message twice; consumers are idempotent on the message id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from runtime.aggregate import OutboxMessage
from runtime.clock import Clock, epoch_ms

log = logging.getLogger(__name__)

Publish = Callable[[OutboxMessage], Awaitable[None]]
Commit = tuple[str, str, int, Sequence[OutboxMessage]]
Published = tuple[str, str, int, list[str]]
CLEAR_BATCH = 500
REMEMBERED = 100_000
"""Message ids this process has published, kept to skip publishing them again."""
CLEARED = {"$set": {"outbox": []}, "$unset": {"pending_ms": ""}, "$inc": {"version": 1}}
"""The update that empties a published outbox; with ``{_id, version}`` it only hits the
version that was published, and bumps it so a stale copy cannot write the events back."""


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
        self._published: list[Published] = []
        self._done: dict[str, None] = {}
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        self._to_clear = asyncio.Event()
        self._clearing = asyncio.Lock()
        """One clear at a time, so ``stop`` waits for the one in flight instead of cutting it."""
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
            asyncio.create_task(self._clear_forever(), name="outbox-clearer"),
            asyncio.create_task(self._sweep_forever(), name="outbox-sweeper"),
        ]

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Publish what is queued, finish the clear in flight and clear the rest, then stop;
        anything left is the sweeper's next time."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout_s)
        with suppress(Exception):
            await asyncio.wait_for(self._clear(drain=True), timeout_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            collection, doc_id, version, messages = await self._queue.get()
            try:
                await asyncio.gather(*(self._publish_once(message) for message in messages))
                self._published.append(
                    (collection, doc_id, version, [m.message_id for m in messages])
                )
                self._to_clear.set()
            except Exception as exc:
                log.warning("outbox publish deferred to sweeper: %r", exc)
            finally:
                self._queue.task_done()

    async def _publish_once(self, message: OutboxMessage) -> None:
        """Publish a message once per process, however many commits hand it over.

        A commit hands over its aggregate's whole outbox, so a save that lands
        before the previous commit's clear would publish that commit's events
        again; every subscriber would then load the aggregate only to find the
        message processed. A message another commit is publishing is awaited,
        not skipped: its outbox must not be cleared before the broker confirmed it.
        """
        if message.message_id in self._done:
            return
        publishing = self._in_flight.get(message.message_id)
        if publishing is None:
            publishing = asyncio.ensure_future(self._publish(message))
            self._in_flight[message.message_id] = publishing
            publishing.add_done_callback(lambda done: self._settle(message.message_id, done))
        await asyncio.shield(publishing)

    def _settle(self, message_id: str, done: asyncio.Future[None]) -> None:
        del self._in_flight[message_id]
        if done.cancelled() or done.exception() is not None:
            return
        self._done[message_id] = None
        if len(self._done) > REMEMBERED:
            del self._done[next(iter(self._done))]

    async def _relay(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None:
        await asyncio.gather(*(self._publish_once(message) for message in messages))
        await self._mark_published(collection, doc_id, version, [m.message_id for m in messages])

    async def _clear_forever(self) -> None:
        while True:
            await self._to_clear.wait()
            try:
                await self._clear()
            except Exception as exc:
                log.warning("outbox clear deferred to sweeper: %r", exc)

    async def _clear(self, *, drain: bool = False) -> None:
        """Clear what was published (one batch, or everything with ``drain``)."""
        async with self._clearing:
            await self._clear_batch()
            while drain and self._published:
                await self._clear_batch()

    async def _clear_batch(self) -> None:
        """One bulk write per collection.

        A version that moved (the aggregate was saved again meanwhile) makes the
        batch match fewer documents; then each is cleared on its own, by message id.
        """
        self._to_clear.clear()
        batch, self._published = self._published[:CLEAR_BATCH], self._published[CLEAR_BATCH:]
        if self._published:
            self._to_clear.set()
        by_collection: dict[str, list[Published]] = {}
        for item in batch:
            by_collection.setdefault(item[0], []).append(item)
        for collection, items in by_collection.items():
            result = await self._db[collection].bulk_write(
                [
                    UpdateOne({"_id": doc_id, "version": version}, CLEARED)
                    for _, doc_id, version, _ in items
                ],
                ordered=False,
            )
            if result.matched_count < len(items):
                for item in items:
                    await self._mark_published(*item)

    async def _mark_published(
        self, collection: str, doc_id: str, version: int, message_ids: list[str]
    ) -> None:
        col = self._db[collection]
        cleared = await col.update_one({"_id": doc_id, "version": version}, CLEARED)
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
