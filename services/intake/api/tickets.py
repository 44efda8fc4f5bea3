"""Tickets for staff: the tenant's tickets a page at a time, and one ticket whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query
from pydantic import BeforeValidator

from runtime.auth import StaffScope, bearer_token
from runtime.errors import StrictJsonRoute, invalid
from runtime.paging import InvalidCursor
from services.intake.api.deps import IntakeDep, NotifyDep
from services.intake.api.models import PAGE_MAX, TicketPage, TicketSummary, TicketView
from services.intake.domain import TicketStatus
from services.intake.domain.deliveries import with_deliveries
from services.intake.store import TicketFilter, encode_cursor

router = APIRouter(prefix="/v1/tickets", tags=["tickets"], route_class=StrictJsonRoute)


def _blank_is_none(value: object) -> object:
    """A browser's form sends its empty fields: an empty filter is no filter, as for the
    text filters (an unknown status is still a 422)."""
    return None if value == "" else value


StatusFilter = Annotated[TicketStatus | None, BeforeValidator(_blank_is_none)]


@router.get("")
async def list_tickets(
    scope: StaffScope,
    intake: IntakeDep,
    status: StatusFilter = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text or ticket id")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 25,
) -> TicketPage:
    """Tickets of the caller's tenant, newest first, a page at a time.

    An empty filter (``status=``, as a form sends it) is no filter; an unknown status is a 422.
    """
    where = TicketFilter(
        status=status.value if status else None,
        queue=queue,
        assignee=assignee,
        category=category,
        text=q,
    )
    try:
        found = await intake.tickets.search(scope.tenant, where, cursor, limit + 1)
    except InvalidCursor as exc:
        raise invalid(str(exc), ("query", "cursor")) from exc
    page = found[:limit]
    return TicketPage(
        items=[TicketSummary.model_validate(t) for t in page],
        next_cursor=encode_cursor(page[-1]) if len(found) > limit else None,
    )


@router.get("/{ticket_id}")
async def get_ticket(
    ticket_id: str,
    scope: StaffScope,
    intake: IntakeDep,
    notify: NotifyDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TicketView:
    """The whole ticket with its timeline, notify's delivered notices merged in."""
    view = TicketView.model_validate(await intake.get(scope.tenant, ticket_id))
    delivered = await notify.delivered(bearer_token(authorization), scope.tenant, ticket_id)
    if delivered is None:
        return view.model_copy(update={"deliveries_unavailable": True})
    return view.model_copy(update={"timeline": with_deliveries(view.timeline, delivered)})
