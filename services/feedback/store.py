"""Feedback's database: surveys and the per-ticket facts read model."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from runtime.store import Document

SURVEYS = "surveys"
FACTS = "ticket_facts"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[SURVEYS].create_index([("tenant_id", 1), ("ticket_id", 1)])
    await db[FACTS].create_index([("tenant_id", 1), ("opened_at", 1)])
