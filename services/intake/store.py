"""Intake's database: the tickets collection and its indexes."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from runtime.store import Document

TICKETS = "tickets"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    tickets = db[TICKETS]
    await tickets.create_index([("tenant_id", 1), ("status", 1), ("opened_at", -1)])
    await tickets.create_index([("tenant_id", 1), ("traveller.id", 1), ("opened_at", -1)])
