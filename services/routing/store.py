"""Routing's database: case files, agents, queues, tenant policies, articles, corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from runtime.cache import TenantMemo
from runtime.store import Document, Repository
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import (
    QueueClaims,
    QueueDef,
    TenantQueue,
    catalogue,
)
from services.routing.domain.case import RoutingCase
from services.routing.domain.corrections import Correction

CASES = "cases"
AGENTS = "agents"
QUEUES = "queues"
POLICIES = "policies"
ARTICLES = "articles"
CORRECTIONS = "corrections"
QUEUE_CLAIMS = "queue_claims"
"""One document per tenant: which of its own queues takes each category (category → queue),
written conditionally on its version, so that two queue PUTs at once cannot both take one,
with the definitions of the PUTs that claimed (``QueueClaims``)."""
COMMAND_RETRIES = 10
"""Write conflicts a command (or a timer) retries before it gives up."""


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    cases = db[CASES]
    await cases.create_index([("tenant_id", 1), ("status", 1), ("first_response_due", 1)])
    await cases.create_index([("tenant_id", 1), ("queue", 1), ("status", 1)])
    await db[AGENTS].create_index([("tenant_id", 1), ("agent_id", 1)])
    await db[QUEUES].create_index([("tenant_id", 1), ("queue_id", 1)])
    await db[ARTICLES].create_index([("tenant_id", 1), ("article_id", 1)])
    await db[CORRECTIONS].create_index([("tenant_id", 1), ("at", 1)])


class RoutingStore:
    """The repositories and the lookups routing's use cases need; every query is tenant-scoped."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        cases: Repository[RoutingCase],
        agents: Repository[Agent],
        queues: Repository[TenantQueue],
        policies: Repository[RoutingPolicy],
        memo: TenantMemo | None = None,
    ) -> None:
        self.db = db
        self.cases = cases
        self.agents = agents
        self.queues = queues
        self.policies = policies
        self.memo = memo or TenantMemo(ttl_s=0)

    async def agents_of(self, tenant_id: str) -> list[Agent]:
        cursor = self.agents.collection.find({"tenant_id": tenant_id}).sort("agent_id", 1)
        return [Agent.model_validate(doc) async for doc in cursor]

    async def tenant_queues(self, tenant_id: str) -> list[TenantQueue]:
        async def load() -> list[TenantQueue]:
            cursor = self.queues.collection.find({"tenant_id": tenant_id}).sort("queue_id", 1)
            return [TenantQueue.model_validate(doc) async for doc in cursor]

        return await self.memo.get(tenant_id, "queues", load)

    async def catalogue(self, tenant_id: str) -> dict[str, QueueDef]:
        return catalogue(q.definition() for q in await self.tenant_queues(tenant_id))

    async def category_claims(self, tenant_id: str) -> QueueClaims:
        """The tenant's category → queue claims (version 0: none written yet)."""
        doc = await self.db[QUEUE_CLAIMS].find_one({"_id": tenant_id, "tenant_id": tenant_id})
        return QueueClaims() if doc is None else QueueClaims.model_validate(doc)

    async def write_claims(self, tenant_id: str, claims: QueueClaims) -> bool:
        """Write ``claims`` over the version before theirs; False when another write came first."""
        doc = {"_id": tenant_id, "tenant_id": tenant_id, **claims.model_dump()}
        collection = self.db[QUEUE_CLAIMS]
        if claims.version == 1:
            try:
                await collection.insert_one(doc)
            except DuplicateKeyError:
                return False
            return True
        replaced = await collection.replace_one(
            {"_id": tenant_id, "version": claims.version - 1}, doc
        )
        return replaced.matched_count == 1

    async def policy(self, tenant_id: str) -> RoutingPolicy:
        async def load() -> RoutingPolicy:
            stored = await self.policies.get(tenant_id, tenant_id)
            return stored or RoutingPolicy.default(tenant_id)

        return await self.memo.get(tenant_id, "policy", load)

    async def add_correction(self, correction: Correction) -> None:
        """Keep a correction once (its id is the id of the message or request that made it)."""
        try:
            await self.db[CORRECTIONS].insert_one(correction.model_dump(by_alias=True))
        except DuplicateKeyError:
            return

    async def corrections(
        self, tenant_id: str | None, since: datetime | None = None
    ) -> list[Correction]:
        """Oldest first; every tenant's when ``tenant_id`` is None (the export command)."""
        query: dict[str, Any] = {} if tenant_id is None else {"tenant_id": tenant_id}
        if since is not None:
            query["at"] = {"$gte": since}
        cursor = self.db[CORRECTIONS].find(query).sort("at", 1)
        return [Correction.model_validate(doc) async for doc in cursor]
