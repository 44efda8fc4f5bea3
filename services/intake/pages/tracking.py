"""The traveller's tracking page behind the signed link: status, who is on it, ETA, timeline.

Plain HTML in the traveller's language, no JavaScript and no cookies, readable
on a phone. It shows what ``tracking_view`` lets through, as the JSON form does;
the only action is "that did not help", which reopens an answered ticket.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from runtime.errors import StrictJsonRoute
from runtime.pages import render, template_environment, traveller_language
from runtime.signing import TokenError
from services.intake.api.deps import IntakeDep
from services.intake.domain import IllegalTransition, Ticket
from services.intake.pages.tracking_view import WORDS, not_helped_refusal, tracking_view
from services.intake.service import Intake

TEMPLATES = Path(__file__).parents[1] / "templates"
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"content": {"text/html": {}}, "description": "An unknown, forged or expired link."}
}


router = APIRouter(prefix="/track", tags=["travellers"], route_class=StrictJsonRoute)
ENV = template_environment(TEMPLATES)


def page(
    request: Request,
    name: str,
    code: int,
    ticket: Ticket | None,
    now: datetime | None = None,
    **values: object,
) -> HTMLResponse:
    preferred = ticket.traveller.language or ticket.language if ticket else None
    language = traveller_language(request, preferred)
    if ticket is not None:
        view = tracking_view(ticket, language, now)
        values.update(
            subject=view.subject,
            timeline=view.timeline,
            handled_by=view.handled_by,
            expected=view.expected_answer_by,
            expected_text=view.expected_answer_by_text,
            waiting_on_you=view.waiting_on_you,
            waiting_on_supplier=view.waiting_on_supplier,
            reopenable=view.can_say_not_helped,
        )
    return HTMLResponse(
        render(ENV, f"tracking/{name}.html", WORDS, language, ticket=ticket, **values),
        status_code=code,
    )


async def load(intake: Intake, token: str) -> Ticket | None:
    try:
        claims = intake.signer.verify(token, purpose="track", now=intake.clock.now())
    except TokenError:
        return None
    return await intake.tickets.repo.get(claims.tenant, claims.sub)


def tracking(
    request: Request,
    token: str,
    ticket: Ticket,
    now: datetime,
    code: int = 200,
    *,
    reopened: bool = False,
    refused: str | None = None,
) -> HTMLResponse:
    values = {"token": token, "reopened": reopened, "refused": refused}
    return page(request, "track", code, ticket, now, **values)


@router.get("/{token}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def track_page(token: str, request: Request, intake: IntakeDep) -> Response:
    """The tracking page a traveller's link opens (HTML)."""
    ticket = await load(intake, token)
    if ticket is None:
        return page(request, "unknown", 404, None)
    return tracking(request, token, ticket, intake.clock.now())


@router.post(
    "/{token}/not-helped",
    response_class=HTMLResponse,
    responses={**PAGE_RESPONSES, 409: {"description": "Not answered yet: nothing to reopen."}},
)
async def not_helped(token: str, request: Request, intake: IntakeDep) -> Response:
    """The form twin of ``POST /v1/track/{token}/not-helped``."""
    ticket = await load(intake, token)
    if ticket is None:
        return page(request, "unknown", 404, None)
    now = intake.clock.now()
    try:
        ticket = await intake.act(
            ticket.tenant_id,
            ticket.id,
            lambda t: t.reopen(reason="that did not help", by=t.traveller.id, now=now),
        )
    except IllegalTransition:
        return tracking(request, token, ticket, now, 409, refused=not_helped_refusal(ticket))
    return tracking(request, token, ticket, now, reopened=True)
