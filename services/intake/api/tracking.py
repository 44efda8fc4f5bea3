"""The traveller's tracking link: the ticket as they may see it, and "that did not help"."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi import status as http
from fastapi.responses import JSONResponse, RedirectResponse

from runtime.errors import StrictJsonRoute
from runtime.pages import traveller_language, wants_html
from services.intake.api.deps import IntakeDep
from services.intake.domain import IllegalTransition, Ticket
from services.intake.pages.tracking_view import (
    WORDS,
    TrackingView,
    not_helped_refusal,
    tracking_view,
)
from services.intake.service import Intake
from services.intake.tracking_links import tracked_ticket

router = APIRouter(prefix="/v1/track", tags=["travellers"], route_class=StrictJsonRoute)


async def tracked(intake: Intake, token: str) -> Ticket:
    """The ticket of a tracking link, long token or short code; 404 for a forged or expired
    one, or one whose ticket is gone."""
    ticket = await tracked_ticket(intake.tickets, intake.signer, token, intake.clock.now())
    if ticket is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "unknown or expired link")
    return ticket


def traveller_language_of(ticket: Ticket, request: Request) -> str:
    return traveller_language(request, ticket.traveller.language or ticket.language)


def view_for(ticket: Ticket, request: Request, now: datetime) -> TrackingView:
    return tracking_view(ticket, traveller_language_of(ticket, request), now)


@router.get("/{token}", response_model=TrackingView)
async def track(token: str, request: Request, intake: IntakeDep) -> TrackingView | RedirectResponse:
    """The traveller's view through the signed, expiring link in the acknowledgement:
    status, team, when to expect an answer, the steps and the words sent to them —
    never notes, routing's reasons, SLA alarms or agent ids (the page shows the same).

    A browser is sent on to the same link's HTML page (``/track/{token}``).
    """
    if wants_html(request.headers.get("accept")):
        return RedirectResponse(f"/track/{token}", status_code=http.HTTP_303_SEE_OTHER)
    return view_for(await tracked(intake, token), request, intake.clock.now())


@router.post(
    "/{token}/not-helped",
    response_model=TrackingView,
    responses={
        409: {
            "description": "Nothing to reopen: `reason` `with_our_team` (not answered yet) or "
            "`closed`; `detail` says so to the traveller, in their language."
        }
    },
)
async def not_helped(
    token: str, request: Request, intake: IntakeDep
) -> TrackingView | JSONResponse:
    """ "That did not help": the answer (the bot's or an agent's) did not solve it.

    The ticket reopens at once, with raised priority, and routing hands it to
    a person; the bot never answers it again.
    """
    found = await tracked(intake, token)
    tenant, ticket_id, now = found.tenant_id, found.id, intake.clock.now()
    try:
        ticket = await intake.act(
            tenant,
            ticket_id,
            lambda t: t.reopen(reason="that did not help", by=t.traveller.id, now=now),
        )
    except IllegalTransition:
        ticket = await intake.get(tenant, ticket_id)
        reason = not_helped_refusal(ticket)
        words = WORDS(traveller_language_of(ticket, request))[f"refused_{reason}"]
        return JSONResponse({"detail": words, "reason": reason}, http.HTTP_409_CONFLICT)
    return view_for(ticket, request, now)
