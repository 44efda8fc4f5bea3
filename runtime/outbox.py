"""The outbox relay: publishes committed events with publisher confirms.

Events live in their aggregate's document (``outbox``, with ``pending_ms`` while it is
not empty), written with the state change that raised them. Fast path: the
repository hands every commit to ``committed`` and a worker publishes it at once.
Clearing is lazy: the next write of the aggregate drops what the broker confirmed
(``confirmed``), and whatever was published and not written again within
``clear_delay_s`` is cleared in one bulk write per collection. Safety net: a
sweeper republishes any outbox older than ``grace`` (process died after commit or
before the clear, broker was down), found through the sparse index on
``pending_ms``. Either path may publish a message twice; consumers are idempotent
on the message id.

The backlog (gauge ``outbox_backlog``, intake's admission) is what waits for either
path: commits queued for the fast path, plus the outboxes the sweeper found overdue.
A publish that fails hands its commit to the sweeper at once, so while the broker is
down the fast path's queue stays empty and only the overdue count shows the outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from runtime.aggregate import OutboxMessage
from runtime.clock import Clock, epoch_ms
from runtime.startup import failure

log = logging.getLogger(__name__)

Publish = Callable[[OutboxMessage], Awaitable[None]]
Commit = tuple[str, str, int, Sequence[OutboxMessage]]
CLEAR_BATCH = 500
CLEAR_DELAY_S = 0.2
"""How long a published outbox waits for its aggregate's next write to clear it for free."""
REMEMBERED = 100_000
"""Message ids this process has published, kept to skip publishing them again."""
CLEARED = {"$set": {"outbox": []}, "$unset": {"pending_ms": ""}}
"""The update that empties a published outbox; with ``{_id, version}`` it only hits the
version that was published (all of whose messages were). It leaves the version alone, so
a handler of this process that loaded the aggregate meanwhile is not made to start over:
its write drops the confirmed messages itself."""
EMPTIED = {"outbox": {"$size": 0}, "pending_ms": {"$exists": True}}
"""Documents whose outbox a ``$pull`` emptied (nx-27017 cannot match ``outbox: []``)."""


@dataclass(frozen=True)
class Published:
    """A commit whose whole outbox the broker confirmed, waiting for its clear."""

    collection: str
    doc_id: str
    version: int
    message_ids: list[str]
    due: float
    """Loop time from which the clear may go out."""


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
        clear_delay_s: float = CLEAR_DELAY_S,
    ) -> None:
        """``clear_delay_s`` is kept under a quarter of ``grace_s``, so the sweeper does not
        find outboxes that are only waiting for their clear."""
        self._db = db
        self._collections = tuple(collections)
        self._publish = publish
        self._clock = clock
        self._sweep_interval_s = sweep_interval_s
        self._grace = timedelta(seconds=grace_s)
        self._sweep_batch = sweep_batch
        self._workers = workers
        self._clear_delay_s = max(0.0, min(clear_delay_s, grace_s / 4))
        self._queue: asyncio.Queue[Commit] = asyncio.Queue()
        self._published: dict[tuple[str, str], Published] = {}
        """The newest published commit of each document, oldest first."""
        self._done: dict[str, None] = {}
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        self._to_clear = asyncio.Event()
        self._clearing = asyncio.Lock()
        """One clear at a time, so ``stop`` waits for the one in flight instead of cutting it."""
        self._tasks: list[asyncio.Task[None]] = []
        self._overdue: dict[str, int] = {}
        """Per collection, the outboxes older than the grace its last sweep found and has
        not cleared yet."""

    def committed(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None:
        """A write of this process committed: publish its outbox. The write replaced the
        document without the messages confirmed before it, so an older commit's clear is
        not needed any more (what the write kept is in ``messages`` and cleared with it)."""
        waiting = self._published.get((collection, doc_id))
        if waiting is not None and waiting.version < version:
            del self._published[(collection, doc_id)]
        if messages:
            self._queue.put_nowait((collection, doc_id, version, messages))

    def confirmed(self, message_id: str) -> bool:
        """Whether the broker confirmed this message to this process (the repository leaves
        such messages out of the aggregate's next write)."""
        return message_id in self._done

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
        """Commits queued for the fast path plus the outboxes overdue at the last sweep
        (less those it published since): what waits for the broker."""
        return self._queue.qsize() + self.overdue

    @property
    def overdue(self) -> int:
        """Outboxes the fast path did not publish within the grace (a publish failed, the
        broker is down, or a process died), as of the sweeper's last pass."""
        return sum(self._overdue.values())

    async def _work(self) -> None:
        while True:
            collection, doc_id, version, messages = await self._queue.get()
            try:
                await asyncio.gather(*(self._publish_once(message) for message in messages))
                self._add_published(collection, doc_id, version, messages)
            except Exception as exc:
                log.warning("outbox publish deferred to sweeper: %s", failure(exc))
            finally:
                self._queue.task_done()

    def _add_published(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None:
        key = (collection, doc_id)
        waiting = self._published.get(key)
        if waiting is not None and waiting.version >= version:
            return
        self._published.pop(key, None)
        due = asyncio.get_running_loop().time() + self._clear_delay_s
        ids = [m.message_id for m in messages]
        self._published[key] = Published(collection, doc_id, version, ids, due)
        self._to_clear.set()

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

    async def _clear_forever(self) -> None:
        while True:
            await self._to_clear.wait()
            await asyncio.sleep(self._clear_delay_s)
            try:
                await self._clear()
            except Exception as exc:
                log.warning("outbox clear deferred to sweeper: %s", failure(exc))

    async def _clear(self, *, drain: bool = False) -> None:
        """Clear what is due (everything with ``drain``), in batches."""
        async with self._clearing:
            while batch := self._take(drain):
                await self._clear_batch(batch)

    def _take(self, drain: bool) -> list[Published]:
        self._to_clear.clear()
        now = asyncio.get_running_loop().time()
        batch: list[Published] = []
        for item in self._published.values():
            if len(batch) == CLEAR_BATCH or (item.due > now and not drain):
                break
            batch.append(item)
        for item in batch:
            del self._published[(item.collection, item.doc_id)]
        if self._published:
            self._to_clear.set()
        return batch

    async def _clear_batch(self, batch: Sequence[Published]) -> None:
        by_collection: dict[str, list[Published]] = {}
        for item in batch:
            by_collection.setdefault(item.collection, []).append(item)
        for collection, items in by_collection.items():
            await self._clear_collection(collection, items)

    async def _clear_collection(self, collection: str, items: Sequence[Published]) -> None:
        """One bulk write of version-bound clears. A version that moved (the aggregate was
        written again meanwhile, here or elsewhere) makes it match fewer documents; then
        the published ids are pulled from each, whatever its version (one more bulk write),
        and outboxes that this emptied lose their ``pending_ms``."""
        col = self._db[collection]
        result = await col.bulk_write(
            [UpdateOne({"_id": item.doc_id, "version": item.version}, CLEARED) for item in items],
            ordered=False,
        )
        if result.matched_count == len(items):
            return
        await col.bulk_write(
            [
                UpdateOne(
                    {"_id": item.doc_id},
                    {"$pull": {"outbox": {"message_id": {"$in": item.message_ids}}}},
                )
                for item in items
            ],
            ordered=False,
        )
        await col.update_many(
            {"_id": {"$in": [item.doc_id for item in items]}, **EMPTIED},
            {"$unset": {"pending_ms": ""}},
        )

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_interval_s)
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("outbox sweep failed: %s", failure(exc))

    async def sweep(self) -> int:
        """Publish every outbox older than the grace period and clear what was published;
        returns how many messages. Every collection's overdue outboxes are read (and
        counted) before any is published, so a pass the broker fails still tells the
        whole backlog."""
        cutoff = epoch_ms(self._clock.now() - self._grace)
        found = [(name, await self._find_overdue(name, cutoff)) for name in self._collections]
        published = 0
        for name, docs in found:
            published += await self._republish(name, docs)
        return published

    async def _find_overdue(self, name: str, cutoff: int) -> list[dict[str, Any]]:
        """The oldest batch of overdue outboxes; counts them all only when a whole batch is
        overdue (one count query), else the batch is the count."""
        overdue = {"pending_ms": {"$lt": cutoff}}
        cursor = (
            self._db[name]
            .find(overdue, {"outbox": 1, "version": 1})
            .sort("pending_ms", 1)
            .limit(self._sweep_batch)
        )
        docs = await cursor.to_list()
        self._overdue[name] = (
            len(docs)
            if len(docs) < self._sweep_batch
            else await self._db[name].count_documents(overdue)
        )
        return docs

    async def _republish(self, name: str, docs: Sequence[dict[str, Any]]) -> int:
        published = 0
        cleared: list[Published] = []
        try:
            for doc in docs:
                messages = [OutboxMessage.model_validate(m) for m in doc.get("outbox", [])]
                await asyncio.gather(*(self._publish_once(m) for m in messages))
                ids = [m.message_id for m in messages]
                cleared.append(Published(name, doc["_id"], doc["version"], ids, 0.0))
                published += len(messages)
        finally:
            if cleared:
                await self._clear_collection(name, cleared)
                self._overdue[name] -= len(cleared)
        return published
