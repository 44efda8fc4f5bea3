"""How the API shows a delivery (the inbox and the log alike), and how it finds them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import SkippedChannel
from contracts.text import as_utc
from runtime import paging
from runtime.store import Repository
from services.notify.domain.delivery import Attempt, Delivery, DeliveryStatus
from services.notify.domain.recipients import Role
from services.notify.domain.traveller_links import redact

PAGE = 100


class DeliveryView(BaseModel):
    """A delivery as the inbox and the log show it (the address stays inside notify)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    ticket_id: str | None
    recipient: str
    role: Role
    channel: str
    template: str
    language: str
    subject: str
    body: str
    link: str | None
    status: DeliveryStatus
    attempts: int
    history: list[Attempt]
    skipped: list[SkippedChannel] = Field(
        default_factory=list, description="Wanted channels passed over before this one, and why."
    )
    error: str | None
    message_id: str | None = Field(
        default=None, description="An e-mail's Message-ID as sent: a bounce names it."
    )
    fallback_of: str | None
    digested_into: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    read_at: datetime | None
    withdrawn_at: datetime | None = Field(
        default=None,
        description="When what the message offers (a survey) was withdrawn: show it as "
        "withdrawn, not as something to act on (its link answers 410).",
    )


def for_staff(view: DeliveryView) -> DeliveryView:
    """The delivery without the traveller's signed links (``traveller_links``), also where a
    channel's refusal quoted the message (its errors)."""
    history = [
        attempt.model_copy(update={"error": redact(attempt.error)}) if attempt.error else attempt
        for attempt in view.history
    ]
    return view.model_copy(
        update={
            "subject": redact(view.subject),
            "body": redact(view.body),
            "link": redact(view.link) if view.link else None,
            "error": redact(view.error) if view.error else None,
            "history": history,
        }
    )


async def find(
    deliveries: Repository[Delivery], query: dict[str, object], sort: int
) -> list[Delivery]:
    """The first page of deliveries matching ``query``, by creation time (1 oldest first)."""
    cursor = deliveries.collection.find(query).sort("created_at", sort).limit(PAGE)
    return [Delivery.model_validate(d) async for d in cursor]


class DeliveryPage(BaseModel):
    """One page of a ticket's delivery log, oldest first, like intake's ticket list."""

    items: list[DeliveryView]
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last one."
    )


def encode_cursor(view: DeliveryView) -> str:
    """The position after ``view``: its creation time (as the store keeps it) and id."""
    return paging.encode_cursor(as_utc(view.created_at).isoformat(), view.id)


def _created_at(key: object) -> datetime:
    if not isinstance(key, str):
        raise TypeError("not a position")
    return as_utc(datetime.fromisoformat(key))


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position ``encode_cursor`` wrote; anything else is an ``InvalidCursor``."""
    return paging.decode_cursor(cursor, _created_at)


async def find_page(
    deliveries: Repository[Delivery], query: dict[str, Any], cursor: str | None, limit: int
) -> DeliveryPage:
    """``limit`` deliveries matching ``query``, oldest first (ties by id), after ``cursor``.

    nx-27017 compares dates only to the second (it sorts them exactly): a ticket's notices
    often share a second, so the store is asked from the start of the cursor's second and
    what is not after the cursor is dropped here, or a page would repeat some and skip others.
    """
    position: tuple[datetime, str] | None = None
    if cursor:
        position = decode_cursor(cursor)
        since = {"created_at": {"$gte": position[0].replace(microsecond=0)}}
        query = {"$and": [query, since]}
    found = deliveries.collection.find(query).sort([("created_at", 1), ("_id", 1)])
    views: list[DeliveryView] = []
    try:
        async for doc in found:
            view = DeliveryView.model_validate(Delivery.model_validate(doc))
            if position is None or (as_utc(view.created_at), view.id) > position:
                views.append(view)
            if len(views) > limit:
                break
    finally:
        await found.close()
    page = views[:limit]
    return DeliveryPage(
        items=page, next_cursor=encode_cursor(page[-1]) if len(views) > limit else None
    )
