"""Notify's HTTP API: the in-app inbox and the per-ticket delivery log.

Staff authenticate like on every other service (``runtime.auth``): a bearer
token whose tenant scopes every read. The inbox also takes a gateway token with
the ``inbox:read`` scope, which the in-app gateway gets from intake for its API
key (``runtime.gateway_auth``; docs/notify.md, "The inbox API"): it reads
travellers' inboxes of its tenant, not a team's, and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import SkippedChannel
from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.gateway_auth import Caller, InboxReader
from runtime.store import NotFound
from services.notify.domain.delivery import Attempt, Delivery, DeliveryStatus
from services.notify.domain.recipients import Role
from services.notify.domain.route import IN_APP
from services.notify.handlers import Notifier

PAGE = 100
TEAM_INBOX = "team:"
GATEWAY_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "A tenant not in the token, or a gateway asking for a team's inbox."}
}


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


def router(notifier: Notifier) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)
    deliveries = notifier.deliveries

    async def find(query: dict[str, object], sort: int) -> list[DeliveryView]:
        cursor = deliveries.collection.find(query).sort("created_at", sort).limit(PAGE)
        return [DeliveryView.model_validate(Delivery.model_validate(d)) async for d in cursor]

    def readable(caller: Caller, person: str) -> None:
        if caller.gateway and person.startswith(TEAM_INBOX):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a gateway reads travellers' inboxes")

    @api.get("/inbox/{traveller_id}", tags=["gateways"], responses=GATEWAY_REFUSED)
    async def inbox(traveller_id: str, scope: InboxReader) -> list[DeliveryView]:
        """A person's in-app messages (traveller, or staff: ``team:<queue>``), newest first."""
        readable(scope, traveller_id)
        return await find(
            {"tenant_id": scope.tenant, "recipient": traveller_id, "channel": IN_APP}, sort=-1
        )

    @api.post(
        "/inbox/{traveller_id}/{notification_id}/read", tags=["gateways"], responses=GATEWAY_REFUSED
    )
    async def mark_read(
        traveller_id: str, notification_id: str, scope: InboxReader
    ) -> DeliveryView:
        """Another tenant's message, or one of another person, is 404 and stays unread."""
        readable(scope, traveller_id)
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
