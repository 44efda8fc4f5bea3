"""Notify's database: one document per delivery (the in-app inbox is a view of it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from runtime.store import Document, write_if
from services.notify.domain.templates import ACKNOWLEDGED, DISRUPTION

DELIVERIES = "deliveries"
WITHDRAWN_SURVEYS = "withdrawn_surveys"
"""The surveys ``survey.withdrawn`` named, kept for a ``survey.sent`` (or a fallback) that
comes after it."""
DISRUPTION_REVISIONS = "disruption_revisions"
"""The latest revision of a disruption each proactive ticket's traveller was told of: a
notice of an older one, delivered late or again, tells nothing."""
WITHDRAWN_SURVEY_KEEP = timedelta(days=14)
"""How long a withdrawal is kept (``Notifier.forget_withdrawn_surveys``): a survey link's
lifetime, after which no late message could offer a survey that still works."""
CLEANUP_EVERY = timedelta(hours=1)


def withdrawn_survey_key(tenant_id: str, survey_id: str) -> str:
    return f"{tenant_id}/{survey_id}"


def ticket_key(tenant_id: str, ticket_id: str) -> str:
    """The id of a per-ticket record (a disruption's revision told, the ticket's holder)."""
    return f"{tenant_id}/{ticket_id}"


async def record_disruption_revision(
    db: AsyncDatabase[Document],
    tenant_id: str,
    ticket_id: str,
    revision: int,
    message_id: str,
    now: datetime,
) -> bool:
    """Record ``revision`` as the ticket's latest told unless a newer one is, or the same one
    came in another message; False then. The comparison is the write's own filter, so one
    write decides a single winner per (ticket, revision): two messages of one revision taken
    at once tell it once. The winning message again (redelivered, or taken twice at once)
    passes: its deliveries' ids make it add nothing, and a crash between this write and
    them still lets its redelivery tell it. A record stored before ``message_id`` was kept
    lets its revision's first message win."""
    held = {"tenant_id": tenant_id, "revision": revision, "message_id": message_id, "told_at": now}
    older_or_ours = {
        "$or": [
            {"revision": {"$lt": revision}},
            {"revision": revision, "message_id": {"$in": [message_id, None]}},
        ]
    }
    key = ticket_key(tenant_id, ticket_id)
    return await write_if(db[DISRUPTION_REVISIONS], key, older_or_ours, held)


async def disruption_revision(
    db: AsyncDatabase[Document], tenant_id: str, ticket_id: str
) -> int | None:
    """The latest revision the ticket's traveller was told of; None before any."""
    held = await db[DISRUPTION_REVISIONS].find_one({"_id": ticket_key(tenant_id, ticket_id)})
    return None if held is None else int(held["revision"])


async def revision_overtaken(
    db: AsyncDatabase[Document], tenant_id: str, ticket_id: str | None, revision: int | None
) -> bool:
    """Whether a newer revision than ``revision`` was recorded for the ticket since: a notice
    of it would tell a state already past. Not a disruption notice (no revision): never."""
    if revision is None or ticket_id is None:
        return False
    newest = await disruption_revision(db, tenant_id, ticket_id)
    return newest is not None and newest > revision


async def tracking_link(
    deliveries: AsyncCollection[Document], tenant_id: str, ticket_id: str | None
) -> str | None:
    """The traveller's tracking link as the ticket's acknowledgement (or a proactive
    ticket's disruption notice) carried it: events after them carry none."""
    query = {
        "tenant_id": tenant_id,
        "ticket_id": ticket_id,
        "template": {"$in": [ACKNOWLEDGED, DISRUPTION]},
    }
    async for told in deliveries.find(query).sort("created_at", -1).limit(1):
        return told.get("link") or None
    return None


async def mail_thread(
    deliveries: AsyncCollection[Document], tenant_id: str, ticket_id: str, address: str
) -> tuple[str | None, str | None]:
    """The Message-ID of the ticket's first mail delivered to ``address`` (None before any: a
    bounced one never reached the mailbox), and the traveller's own e-mail the ticket's
    acknowledgement answered (None when it began on another channel, or was never
    acknowledged): what a later mail may answer."""
    delivered = {
        "tenant_id": tenant_id,
        "ticket_id": ticket_id,
        "channel": "email",
        "address": address,
        "status": "delivered",
        "message_id": {"$ne": None},
    }
    root = None
    async for first in deliveries.find(delivered).sort("delivered_at", 1).limit(1):
        root = first["message_id"]
    answered = {
        "tenant_id": tenant_id,
        "ticket_id": ticket_id,
        "template": ACKNOWLEDGED,
        "answers": {"$ne": None},
    }
    acknowledgement = await deliveries.find_one(answered)
    return root, None if acknowledgement is None else acknowledgement["answers"]


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    deliveries = db[DELIVERIES]
    await deliveries.create_index(
        [("tenant_id", 1), ("recipient", 1), ("channel", 1), ("created_at", -1)]
    )
    # nx-27017 answers the query above from this single-field index, not the compound one
    # (measured: 2 ms instead of 18 ms at 8,000 deliveries, and growing with the collection).
    await deliveries.create_index("recipient")
    await deliveries.create_index([("tenant_id", 1), ("ticket_id", 1), ("created_at", 1)])
    # nx-27017 reads the ticket view's deliveries from this one: 1.0 ms instead of 22.6 ms
    # at 10,000 deliveries (it never answers from a compound index).
    await deliveries.create_index("ticket_id")
    await deliveries.create_index([("status", 1), ("due_ms", 1)])  # the dispatcher's scan
    # On nx-27017 the scan reads this one: a finished delivery has no ``due_ms``, so the
    # range holds only what is pending or in flight (1.4 ms instead of 15.3 ms at 10,000).
    await deliveries.create_index("due_ms")
    await deliveries.create_index("message_id")  # a bounce names the e-mail it returns
    await deliveries.create_index("survey_id")  # a withdrawn survey names its messages
    await db[WITHDRAWN_SURVEYS].create_index("withdrawn_at")  # the hourly cleanup
