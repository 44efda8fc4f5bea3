"""Routing's database: one case file per ticket."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from runtime.store import Document

CASES = "cases"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    cases = db[CASES]
    await cases.create_index([("tenant_id", 1), ("status", 1), ("first_response_due", 1)])
    await cases.create_index([("tenant_id", 1), ("queue", 1), ("status", 1)])
