"""Routing's SLA collections: the tenants' policies and the durable timers.

A timer is one document per (ticket, clock, warn|breach) with its moment as
integer epoch milliseconds (``due_ms``: nx-27017 compares dates only to the
second) and a lease (``lease_owner``, ``lease_until_ms``). The case file is the
truth; timers only say when to look at it again, so a stale timer is harmless
(the scheduler finds nothing owed and drops it) and a missing one is not:
timers are written before the case commit that needs them and deleted after
the commit that ends them (docs/sla.md).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo import DeleteMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts.events import SlaClock
from runtime.aggregate import Aggregate
from runtime.cache import TenantMemo
from runtime.shared_commands import SharedFind, SharedWrites
from runtime.store import Document
from runtime.store_batches import Observers
from services.routing.domain.case import RoutingCase
from services.routing.sla.domain import DEFAULT_SLA, SlaPolicy, TimerKind

TIMERS = "sla_timers"
SLA_POLICIES = "sla_policies"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[TIMERS].create_index([("due_ms", 1)])  # the scheduler's scan
    await db[TIMERS].create_index([("lease_owner", 1), ("lease_until_ms", 1)])
    await db[TIMERS].create_index([("tenant_id", 1), ("ticket_id", 1)])


class TenantSlaPolicy(Aggregate):
    """A tenant's stored SLA policy (``PUT /v1/sla-policies``)."""

    policy: SlaPolicy = DEFAULT_SLA
    updated_by: str | None = None
    updated_at: datetime | None = None


class StoredTimer(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, extra="ignore")

    id: str = Field(alias="_id")
    tenant_id: str
    ticket_id: str
    clock: SlaClock
    kind: TimerKind
    generation: int
    due_ms: int
    lease_owner: str = ""
    lease_until_ms: int = 0

    @staticmethod
    def key(tenant_id: str, ticket_id: str, clock: SlaClock, kind: TimerKind) -> str:
        return f"{tenant_id}:{ticket_id}:{clock.value}:{kind.value}"

    @property
    def due(self) -> datetime:
        return datetime.fromtimestamp(self.due_ms / 1000, UTC)


def expected_timers(case: RoutingCase) -> dict[str, StoredTimer]:
    """The timers a case's clocks need now, by id; ``due_ms`` rounded up, so a timer
    claimed at ``epoch_ms(now)`` (rounded down) is never early."""
    timers = {}
    for timer in case.sla.timers():
        key = StoredTimer.key(case.tenant_id, case.id, timer.clock, timer.kind)
        timers[key] = StoredTimer(
            id=key,
            tenant_id=case.tenant_id,
            ticket_id=case.id,
            clock=timer.clock,
            kind=timer.kind,
            generation=timer.generation,
            due_ms=math.ceil(timer.due.timestamp() * 1000),
        )
    return timers


def possible_ids(tickets: list[tuple[str, str]]) -> list[str]:
    """Every timer id these (tenant, ticket) pairs could have: a read by ``_id``, which
    every store answers from its primary index."""
    return [
        StoredTimer.key(tenant_id, ticket_id, clock, kind)
        for tenant_id, ticket_id in tickets
        for clock in SlaClock
        for kind in TimerKind
    ]


def _of_ticket(ticket: tuple[str, str], doc: Document) -> bool:
    return (doc.get("tenant_id"), doc.get("ticket_id")) == ticket


class SlaStore:
    """Policies and timers; every query is tenant-scoped except the scheduler's due scan.

    Cases' timer reads and writes are shared by the handlers running at once
    (``runtime/shared_commands.py``): one command for a batch of cases (#20)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        memo: TenantMemo | None = None,
        *,
        linger_s: float = 0.0,
        observers: Observers | None = None,
    ) -> None:
        self.policies: AsyncCollection[Document] = db[SLA_POLICIES]
        self.timers: AsyncCollection[Document] = db[TIMERS]
        self.memo = memo or TenantMemo(ttl_s=0)
        self._reads: SharedFind[tuple[str, str]] = SharedFind(
            self.timers,
            query=lambda tickets: {"_id": {"$in": possible_ids(tickets)}},
            matches=_of_ticket,
            name="reads",
            linger_s=linger_s,
            observers=observers,
        )
        self._writes = SharedWrites(
            self.timers, name="writes", linger_s=linger_s, observers=observers
        )

    async def policy(self, tenant_id: str) -> SlaPolicy:
        async def load() -> SlaPolicy:
            doc = await self.policies.find_one({"_id": tenant_id, "tenant_id": tenant_id})
            return DEFAULT_SLA if doc is None else TenantSlaPolicy.model_validate(doc).policy

        return await self.memo.get(tenant_id, "sla_policy", load)

    # ------------------------------------------------------------ keeping timers in step

    async def _stored(self, case: RoutingCase, patient: bool) -> dict[str, StoredTimer]:
        found = await self._reads.find((case.tenant_id, case.id), patient=patient)
        return {doc["_id"]: StoredTimer.model_validate(doc) for doc in found}

    async def schedule(
        self, case: RoutingCase, fresh: bool = False, *, patient: bool = False
    ) -> list[str]:
        """Write the timers the case needs that are missing or moved (before its commit), in
        one bulk write; returns the stored ones it no longer needs, for ``prune`` after it.

        A ``fresh`` case (not stored yet) has no timers to read (#20): all it needs are
        written. Only a crash between this write and the case's could have left one,
        and such a timer finds the case not owing it when it fires and is pruned then.
        ``patient``: a consumed message's, which may wait a moment to share the command.
        """
        stored = {} if fresh else await self._stored(case, patient)
        expected = expected_timers(case)
        moved = [
            UpdateOne({"_id": key}, {"$set": _fields(timer)}, upsert=True)
            for key, timer in expected.items()
            if (known := stored.get(key)) is None
            or (known.due_ms, known.generation) != (timer.due_ms, timer.generation)
        ]
        await self._writes.write(moved, key=f"{case.tenant_id}:{case.id}", patient=patient)
        return [key for key in stored if key not in expected]

    async def prune(self, gone: list[str], *, patient: bool = False) -> None:
        """Delete the timers the committed case (one case) no longer needs."""
        if gone:
            case_key = gone[0].rsplit(":", 2)[0]  # never in one command with the case's writes
            await self._writes.write(
                [DeleteMany({"_id": {"$in": gone}})], key=case_key, patient=patient
            )

    async def sync(self, case: RoutingCase) -> None:
        await self.prune(await self.schedule(case))

    # ------------------------------------------------------------ the scheduler's side

    async def claim(self, owner: str, now_ms: int, lease_ms: int, limit: int) -> list[StoredTimer]:
        """Lease the due timers nobody holds, earliest first, at most ``limit``.

        One conditional ``update_many`` claims them: each document is leased by
        exactly one caller, so two replicas never work on the same timer at once.
        """
        cursor = (
            self.timers.find(
                {"due_ms": {"$lte": now_ms}, "lease_until_ms": {"$lt": now_ms}}, {"_id": 1}
            )
            .sort("due_ms", 1)
            .limit(limit)
        )
        ids = [doc["_id"] async for doc in cursor]
        if not ids:
            return []
        until = now_ms + lease_ms
        await self.timers.update_many(
            {"_id": {"$in": ids}, "lease_until_ms": {"$lt": now_ms}},
            {"$set": {"lease_owner": owner, "lease_until_ms": until}},
        )
        mine = self.timers.find({"lease_owner": owner, "lease_until_ms": until})
        return sorted(
            [StoredTimer.model_validate(doc) async for doc in mine], key=lambda t: t.due_ms
        )

    async def next_due_ms(self, now_ms: int) -> int | None:
        """The earliest moment of a timer nobody holds a lease on."""
        cursor = (
            self.timers.find({"lease_until_ms": {"$lt": now_ms}}, {"due_ms": 1})
            .sort("due_ms", 1)
            .limit(1)
        )
        return next(iter([int(doc["due_ms"]) async for doc in cursor]), None)

    async def fired(self, timers: list[StoredTimer]) -> None:
        """Delete timers whose work is committed, unless rewritten since they were leased
        (a rewrite clears the lease)."""
        if timers:
            await self.timers.delete_many(
                {
                    "_id": {"$in": [t.id for t in timers]},
                    "lease_owner": timers[0].lease_owner,
                    "lease_until_ms": timers[0].lease_until_ms,
                }
            )

    async def release(self, owner: str) -> None:
        """Give back every lease of ``owner`` (a clean shutdown): the others take over now."""
        await self.timers.update_many(
            {"lease_owner": owner}, {"$set": {"lease_owner": "", "lease_until_ms": 0}}
        )


def _fields(timer: StoredTimer) -> dict[str, Any]:
    return timer.model_dump(by_alias=True, mode="json", exclude={"id"})
