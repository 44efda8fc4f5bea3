"""Feedback's database: surveys, appeals, NPS cadence, the facts read model and its archive.

Archived documents keep their shape in ``<collection>_archive``; the metrics
read both, so moving facts out of the hot collection changes no number.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from runtime.store import Document

SURVEYS = "surveys"
FACTS = "ticket_facts"
APPEALS = "appeals"
PULSES = "traveller_pulses"
ARCHIVED = (SURVEYS, FACTS, APPEALS)


def archive_of(collection: str) -> str:
    return f"{collection}_archive"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[SURVEYS].create_index([("tenant_id", 1), ("ticket_id", 1)])
    await db[SURVEYS].create_index("sent_at")
    await db[APPEALS].create_index([("tenant_id", 1), ("ticket_id", 1)])
    await db[APPEALS].create_index("filed_at")
    for facts in (FACTS, archive_of(FACTS)):
        await db[facts].create_index([("tenant_id", 1), ("last_contact_ms", 1)])
        await db[facts].create_index([("tenant_id", 1), ("opened_ms", 1)])
    await db[FACTS].create_index("last_event_ms")
    await db[archive_of(SURVEYS)].create_index([("tenant_id", 1), ("ticket_id", 1)])
    await db[archive_of(APPEALS)].create_index([("tenant_id", 1), ("ticket_id", 1)])
