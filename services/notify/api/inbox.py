"""The in-app inbox: a person's messages, and marking one read.

Staff authenticate like on every other service (``runtime.auth``): a bearer
token whose tenant scopes every read. The inbox also takes a gateway token with
the ``inbox:read`` scope, which the in-app gateway gets from intake for its API
key (``runtime.gateway_auth``; docs/notify.md, "The inbox API"): it reads
travellers' inboxes of its tenant, not a team's, and nothing else.

A person's id is the rest of the path (``{traveller_id:path}``), percent-encoded by the
caller: ids come from customers' systems, and any intake accepts (``a/b``, ``旅客/../42``)
has an inbox here. Starlette matches the decoded path, so a one-segment parameter
turned ``a%2Fb`` away with a 404. Mark-read is told apart by its two last segments
(``…/{notification_id}/read``) and by its method.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status

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

PersonId = Annotated[
    str, Path(min_length=1, max_length=260, description="Percent-encoded: `a%2Fb` is `a/b`.")
]
"""A traveller's id as intake takes it (``contracts.events.Traveller.id``), or staff's."""

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)


def readable(caller: Caller, person: str) -> None:
    if caller.gateway and person.startswith(TEAM_INBOX):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a gateway reads travellers' inboxes")


@router.get("/inbox/{traveller_id:path}", tags=["gateways"], responses=GATEWAY_REFUSED)
async def inbox(
    traveller_id: PersonId, scope: InboxReader, notifier: NotifierDep
) -> list[DeliveryView]:
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
    "/inbox/{traveller_id:path}/{notification_id}/read",
    tags=["gateways"],
    responses=GATEWAY_REFUSED,
)
async def mark_read(
    traveller_id: PersonId, notification_id: str, scope: InboxReader, notifier: NotifierDep
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
