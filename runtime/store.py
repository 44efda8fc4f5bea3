"""MongoDB access: client factory and the aggregate repository.

Every write is one document: insert for a new aggregate, otherwise
``replace_one({_id, version})`` (optimistic concurrency). Events raised by the
aggregate become envelopes in its embedded outbox in that same write, which also
leaves out the messages the relay has confirmed meanwhile (their clear). Loads and
writes that run at the same time share store commands (group commit,
``runtime/store_batches.py``); each caller still gets its own operation's outcome.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.envelope import Envelope, Event
from runtime.aggregate import WRITE_TOKENS, Aggregate, OutboxMessage
from runtime.clock import Clock, epoch_ms
from runtime.store_batches import BatchedCollection, WriteIf, conditional_upserts
from runtime.telemetry import current_trace_context

Document = dict[str, Any]
A = TypeVar("A", bound=Aggregate)


class ConcurrencyError(Exception):
    """Someone else changed the aggregate since it was loaded: reload and retry."""


class AlreadyExists(Exception):
    """An aggregate with this id was committed before (a redelivery or a retry)."""


class NotFound(Exception):
    """No such aggregate in this tenant (cross-tenant ids are simply not found)."""


class OutboxSink(Protocol):
    """Where commits go (the relay). Told of every commit, even one with an empty outbox:
    the relay then knows an older commit's clear is not needed any more. A sink that also
    has ``confirmed(message_id) -> bool`` (``OutboxRelay``) gets confirmed messages left out
    of the aggregate's next write, which clears them for free."""

    def committed(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None: ...


def _never(message_id: str) -> bool:
    return False


class AggregateLocks:
    """One asyncio lock per aggregate in this process.

    Messages for one aggregate often arrive together (a ticket's routing decision
    and its acknowledgement's delivery); with a prefetch of 100 they were loaded
    side by side and all but one lost the version check and started over. Here
    they wait their turn instead; other replicas still meet the version check.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


def mongo_client(
    url: str, listeners: Sequence[monitoring.CommandListener] = ()
) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=3_000,
        event_listeners=listeners,
    )


async def write_if(
    collection: AsyncCollection[Document], key: str, condition: Document, fields: Document
) -> bool:
    """Set ``fields`` on document ``key`` if it meets ``condition`` or does not exist yet:
    one upsert whose filter is the condition (a newest-wins record). False when the stored
    document does not meet it (the upsert's insert meets its ``_id``). A first insert racing
    ours fails the same way once: the retry lets the document it wrote decide. Many at
    once: ``BatchedCollection.write_if``."""
    written = await conditional_upserts(collection, [WriteIf(key, condition, fields)])
    return written[0]


def new_message_id() -> str:
    return uuid.uuid4().hex


class Repository(Generic[A]):
    """Loads and commits one kind of aggregate; every query is scoped by tenant."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        collection: str,
        model: type[A],
        outbox: OutboxSink,
        clock: Clock,
        *,
        batches: BatchedCollection | None = None,
    ) -> None:
        """``batches``: the collection's shared loader and writer (``ServiceRuntime`` hands
        every repository of one collection the same one, with batch-size metrics)."""
        self.collection: AsyncCollection[Document] = db[collection]
        self._batches = batches or BatchedCollection(self.collection)
        self.model = model
        self._outbox = outbox
        self._confirmed: Callable[[str], bool] = getattr(outbox, "confirmed", _never)
        self._clock = clock
        self._locks = AggregateLocks()

    async def get(self, tenant_id: str, aggregate_id: str, *, patient: bool = False) -> A | None:
        """``patient``: a consumed message's load, which may wait for company (group commit)."""
        doc = await self._batches.load(tenant_id, aggregate_id, patient=patient)
        return None if doc is None else self.model.model_validate(doc)

    async def add(
        self, aggregate: A, cause: Envelope[Any] | None = None, *, patient: bool = False
    ) -> None:
        """Insert a new aggregate; raises ``AlreadyExists`` if its id was taken."""
        self._stamp(aggregate, cause)
        aggregate.version = 1
        doc = self._document(aggregate)
        try:
            await self._batches.insert(doc, patient=patient)
        except DuplicateKeyError as exc:
            raise AlreadyExists(aggregate.id) from exc
        self._committed(aggregate, doc)

    async def save(
        self, aggregate: A, cause: Envelope[Any] | None = None, *, patient: bool = False
    ) -> None:
        """Replace the stored aggregate if nobody changed it since it was loaded."""
        self._stamp(aggregate, cause)
        expected = aggregate.version
        aggregate.version = expected + 1
        doc = self._document(aggregate)
        if not await self._batches.replace(doc, expected, patient=patient):
            raise ConcurrencyError(f"{self.collection.name}/{aggregate.id}@{expected}")
        self._committed(aggregate, doc)

    async def apply(
        self, envelope: Envelope[Any], aggregate_id: str, change: Callable[[A], None]
    ) -> A:
        """Apply a consumed message to an aggregate exactly once (keyed on its message id);
        its load and write are patient."""
        async with self._locks.hold(aggregate_id):
            aggregate = await self.get(envelope.tenant_id, aggregate_id, patient=True)
            if aggregate is None:
                raise NotFound(f"{self.collection.name}/{aggregate_id}")
            if not aggregate.has_processed(envelope.message_id):
                change(aggregate)
                await self.save(aggregate, envelope, patient=True)
            return aggregate

    async def change(
        self, tenant_id: str, aggregate_id: str, command: Callable[[A], None], retries: int = 10
    ) -> A:
        """Run a command (an HTTP request's change) on the latest version, retrying conflicts.

        Domain exceptions raised by ``command`` propagate and nothing is written.
        """
        for _ in range(retries):
            async with self._locks.hold(aggregate_id):
                aggregate = await self.get(tenant_id, aggregate_id)
                if aggregate is None:
                    raise NotFound(aggregate_id)
                command(aggregate)
                try:
                    await self.save(aggregate)
                except ConcurrencyError:
                    continue
                return aggregate
        raise ConcurrencyError(f"{self.collection.name}/{aggregate_id}: {retries} conflicts")

    async def upsert(
        self,
        envelope: Envelope[Any],
        aggregate_id: str,
        create: Callable[[], A],
        change: Callable[[A], None],
        tenant_id: str | None = None,
        restore: Callable[[], Awaitable[bool]] | None = None,
    ) -> A:
        """Like ``apply``, creating the aggregate first if this message is the first to arrive.

        Events from different queues may arrive in any order, so read models
        and case files are created by whichever event comes first. ``tenant_id``
        names the aggregate's tenant when it is not the message's (a supplier
        event fanned out to the tenants it affects). ``restore`` brings a missing
        aggregate back from elsewhere (an archive) before one would be created,
        and says whether it did.
        """
        tenant = tenant_id or envelope.tenant_id
        async with self._locks.hold(aggregate_id):
            aggregate = await self.get(tenant, aggregate_id, patient=True)
            if aggregate is None and restore is not None and await restore():
                aggregate = await self.get(tenant, aggregate_id)
            if aggregate is None:
                aggregate = create()
                change(aggregate)
                try:
                    await self.add(aggregate, envelope, patient=True)
                except AlreadyExists as exc:
                    raise ConcurrencyError(aggregate_id) from exc
            elif not aggregate.has_processed(envelope.message_id):
                change(aggregate)
                await self.save(aggregate, envelope, patient=True)
            return aggregate

    def _stamp(self, aggregate: A, cause: Envelope[Any] | None) -> None:
        if cause is not None:
            aggregate.mark_processed(cause.message_id)
        if aggregate.outbox:
            aggregate.outbox = [m for m in aggregate.outbox if not self._confirmed(m.message_id)]
        for event in aggregate.take_events():
            aggregate.outbox.append(self._envelope(aggregate, event, cause))

    def _envelope(self, aggregate: A, event: Event, cause: Envelope[Any] | None) -> OutboxMessage:
        traceparent, tracestate = current_trace_context()
        envelope = Envelope[Event](
            message_id=new_message_id(),
            correlation_id=cause.correlation_id if cause else aggregate.id,
            causation_id=cause.message_id if cause else None,
            tenant_id=aggregate.tenant_id,
            occurred_at=self._clock.now(),
            schema_name=event.schema_name,
            schema_version=event.schema_version,
            traceparent=traceparent,
            tracestate=tracestate,
            payload=event,
        )
        return OutboxMessage(
            message_id=envelope.message_id,
            correlation_id=envelope.correlation_id,
            routing_key=event.schema_name,
            body=envelope.model_dump_json(serialize_as_any=True),
            traceparent=traceparent,
            tracestate=tracestate,
        )

    def _document(self, aggregate: A) -> Document:
        doc = aggregate.model_dump(by_alias=True, mode="python")
        if aggregate.outbox:
            doc["pending_ms"] = epoch_ms(self._clock.now())
        doc[WRITE_TOKENS] = list(aggregate._write_tokens)
        return doc

    def _committed(self, aggregate: A, doc: Document) -> None:
        aggregate._write_tokens = doc[WRITE_TOKENS]
        self._outbox.committed(
            self.collection.name, aggregate.id, aggregate.version, list(aggregate.outbox)
        )
