"""Notify's HTTP API: the in-app inbox and the per-ticket delivery log.

Callers authenticate like on every other service (``runtime.auth``): a staff
bearer token whose tenant scopes every read. The in-app gateway's backend holds
such a token for its tenant; gateway API keys live in intake's database, which
notify does not read (docs/notify.md, "The inbox API").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.store import NotFound
from services.notify.domain import IN_APP, Attempt, Delivery, DeliveryStatus, Role
from services.notify.handlers import Notifier

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
    error: str | None
    fallback_of: str | None
    digested_into: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    read_at: datetime | None


def router(notifier: Notifier) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)
    deliveries = notifier.deliveries

    async def find(query: dict[str, object], sort: int) -> list[DeliveryView]:
        cursor = deliveries.collection.find(query).sort("created_at", sort).limit(PAGE)
        return [DeliveryView.model_validate(Delivery.model_validate(d)) async for d in cursor]

    @api.get("/inbox/{traveller_id}")
    async def inbox(traveller_id: str, scope: StaffScope) -> list[DeliveryView]:
        """A person's in-app messages (traveller, or staff: ``team:<queue>``), newest first."""
        return await find(
            {"tenant_id": scope.tenant, "recipient": traveller_id, "channel": IN_APP}, sort=-1
        )

    @api.post("/inbox/{traveller_id}/{notification_id}/read")
    async def mark_read(traveller_id: str, notification_id: str, scope: StaffScope) -> DeliveryView:
        """Another tenant's message, or one of another person, is 404 and stays unread."""
        delivery = await deliveries.get(scope.tenant, notification_id)
        if delivery is None or delivery.recipient != traveller_id or delivery.channel != IN_APP:
            raise NotFound(notification_id)
        read = await deliveries.change(
            scope.tenant, notification_id, lambda d: d.mark_read(notifier.clock.now())
        )
        return DeliveryView.model_validate(read)

    @api.get("/notifications")
    async def delivery_log(
        scope: StaffScope, ticket_id: Annotated[str, Query(min_length=1, max_length=64)]
    ) -> list[DeliveryView]:
        """Every delivery for one ticket, oldest first: status, attempts, channel, times."""
        return await find({"tenant_id": scope.tenant, "ticket_id": ticket_id}, sort=1)

    return api
