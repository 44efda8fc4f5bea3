"""The in-app inbox: a person's messages, and marking one read.

Staff authenticate like on every other service (``runtime.auth``): a bearer
token whose tenant scopes every read. The inbox also takes a gateway token with
the ``inbox:read`` scope, which the in-app gateway gets from intake for its API
key (``runtime.gateway_auth``; docs/notify.md, "The inbox API"): it reads
travellers' inboxes of its tenant, not a team's, and nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from runtime.errors import StrictJsonRoute
from runtime.gateway_auth import Caller, InboxReader
from runtime.store import NotFound
from services.notify.api.deps import NotifierDep
from services.notify.api.models import DeliveryView, find, for_staff
from services.notify.domain.route import IN_APP

TEAM_INBOX = "team:"
GATEWAY_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "A tenant not in the token, or a gateway asking for a team's inbox."}
}

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)


def readable(caller: Caller, person: str) -> None:
    if caller.gateway and person.startswith(TEAM_INBOX):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a gateway reads travellers' inboxes")


@router.get("/inbox/{traveller_id}", tags=["gateways"], responses=GATEWAY_REFUSED)
async def inbox(traveller_id: str, scope: InboxReader, notifier: NotifierDep) -> list[DeliveryView]:
    """A person's in-app messages (traveller, or staff: ``team:<queue>``), newest first.

    The in-app gateway gets them whole; staff get them without the traveller's signed
    tracking, survey and appeal links (``[redacted]``)."""
    readable(scope, traveller_id)
    found = await find(
        notifier.deliveries,
        {"tenant_id": scope.tenant, "recipient": traveller_id, "channel": IN_APP},
        sort=-1,
    )
    return found if scope.gateway else [for_staff(view) for view in found]


@router.post(
    "/inbox/{traveller_id}/{notification_id}/read", tags=["gateways"], responses=GATEWAY_REFUSED
)
async def mark_read(
    traveller_id: str, notification_id: str, scope: InboxReader, notifier: NotifierDep
) -> DeliveryView:
    """Another tenant's message, or one of another person, is 404 and stays unread."""
    readable(scope, traveller_id)
    deliveries = notifier.deliveries
    delivery = await deliveries.get(scope.tenant, notification_id)
    if delivery is None or delivery.recipient != traveller_id or delivery.channel != IN_APP:
        raise NotFound(notification_id)
    read = await deliveries.change(
        scope.tenant, notification_id, lambda d: d.mark_read(notifier.clock.now())
    )
    view = DeliveryView.model_validate(read)
    return view if scope.gateway else for_staff(view)
