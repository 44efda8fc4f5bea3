"""How the API shows a delivery (the inbox and the log alike), and how it finds them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import SkippedChannel
from runtime.store import Repository
from services.notify.domain.delivery import Attempt, Delivery, DeliveryStatus
from services.notify.domain.recipients import Role

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
    fallback_of: str | None
    digested_into: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    read_at: datetime | None


async def find(
    deliveries: Repository[Delivery], query: dict[str, object], sort: int
) -> list[DeliveryView]:
    """The first page of deliveries matching ``query``, by creation time (1 oldest first)."""
    cursor = deliveries.collection.find(query).sort("created_at", sort).limit(PAGE)
    return [DeliveryView.model_validate(Delivery.model_validate(d)) async for d in cursor]
