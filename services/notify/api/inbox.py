"""The in-app inbox: a person's messages, and marking one read.

Staff authenticate like on every other service (``runtime.auth``): a bearer
token whose tenant scopes every read. The inbox also takes a gateway token with
the ``inbox:read`` scope, which the in-app gateway gets from intake for its API
key (``runtime.gateway_auth``; docs/notify.md, "The inbox API"): it reads the messages
of its tenant's travellers and bookers (``APP_ROLES``), never staff's, and nothing else.
Which messages is told by each message's recipient role, not by the id: an id refused by
its shape (``team:…``) still let the app read a manager's or an agent's inbox.

A person's id is the rest of the path (``{traveller_id:path}``), percent-encoded by the
caller: ids come from customers' systems, and any intake accepts (``a/b``, ``旅客/../42``)
has an inbox here. Starlette matches the decoded path, so a one-segment parameter
turned ``a%2Fb`` away with a 404. Mark-read is told apart by its two last segments
(``…/{notification_id}/read``) and by its method.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from runtime.errors import StrictJsonRoute
from runtime.gateway_auth import Caller, InboxReader
from runtime.store import NotFound
from services.notify import holders
from services.notify.api.deps import NotifierDep
from services.notify.api.models import DeliveryView, find, for_staff
from services.notify.domain.assignment import in_inbox, past_in_inbox
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.recipients import APP_ROLES, not_theirs_to_mark
from services.notify.domain.route import IN_APP
from services.notify.service import Notifier

PersonId = Annotated[
    str, Path(min_length=1, max_length=260, description="Percent-encoded: `a%2Fb` is `a/b`.")
]
"""A traveller's id as intake takes it (``contracts.events.Traveller.id``), or staff's."""

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)


def inbox_query(caller: Caller, person: str) -> dict[str, object]:
    """The person's in-app messages the caller may read: a gateway only the traveller's side."""
    query: dict[str, object] = {"tenant_id": caller.tenant, "recipient": person, "channel": IN_APP}
    if caller.gateway:
        query["role"] = {"$in": sorted(role.value for role in APP_ROLES)}
    return query


def readable(caller: Caller, person: str, delivery: Delivery) -> bool:
    """``delivery`` is in ``person``'s inbox and the caller may read it (``inbox_query``)."""
    if delivery.recipient != person or delivery.channel != IN_APP:
        return False
    return not caller.gateway or delivery.role in APP_ROLES


@router.get("/inbox/{traveller_id:path}", tags=["gateways"])
async def inbox(
    traveller_id: PersonId, scope: InboxReader, notifier: NotifierDep
) -> list[DeliveryView]:
    """A person's in-app messages (traveller, or staff: ``team:<queue>``), newest first.

    The in-app gateway gets the traveller's and booker's messages whole, and a staff
    member's as none (``[]``); staff get them without the traveller's signed tracking,
    survey, appeal and file links (``[redacted]``). An assignment ("assigned to you") whose
    ticket has since gone to someone else, to a queue, or was resolved shows ``overtaken``."""
    found = await find(notifier.deliveries, inbox_query(scope, traveller_id), sort=-1)
    views = await as_now(notifier, scope.tenant, found)
    return views if scope.gateway else [for_staff(view) for view in views]


@router.post(
    "/inbox/{traveller_id:path}/{notification_id}/read",
    tags=["gateways"],
    responses={
        403: {
            "description": "A gateway token without `inbox:read`, or a tenant not in the "
            "token; or a staff member's message marked by other staff: its recipient alone "
            "marks it read."
        }
    },
)
async def mark_read(
    traveller_id: PersonId, notification_id: str, scope: InboxReader, notifier: NotifierDep
) -> DeliveryView:
    """Another tenant's message, one of another person, or a staff message asked for by a
    gateway is 404 and stays unread; a staff member's message marked by other staff is 403
    (``not_theirs_to_mark``): its recipient alone marks it read."""
    deliveries = notifier.deliveries
    delivery = await deliveries.get(scope.tenant, notification_id)
    if delivery is None or not readable(scope, traveller_id, delivery):
        raise NotFound(notification_id)
    refusal = not_theirs_to_mark(scope.actor, traveller_id, delivery.role)
    if refusal is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, refusal)
    read = await deliveries.change(
        scope.tenant, notification_id, lambda d: d.mark_read(notifier.clock.now())
    )
    (view,) = await as_now(notifier, scope.tenant, [read])
    return view if scope.gateway else for_staff(view)


async def as_now(notifier: Notifier, tenant: str, found: list[Delivery]) -> list[DeliveryView]:
    """The messages as the inbox shows them: an assignment (or an SLA notice to the holder)
    whose ticket has since gone to someone else, to a queue, or was resolved is
    ``overtaken`` (``past_in_inbox``). One read of the tickets' holders, only for messages
    holding such notices; nothing is written."""
    told = {d.ticket_id for d in found if d.ticket_id and in_inbox(d)}
    database = notifier.deliveries.collection.database
    held = await holders.current(database, tenant, told) if told else {}
    views = []
    for delivery in found:
        view = DeliveryView.model_validate(delivery)
        if delivery.ticket_id and past_in_inbox(delivery, held.get(delivery.ticket_id)):
            view = view.model_copy(update={"status": DeliveryStatus.OVERTAKEN})
        views.append(view)
    return views
