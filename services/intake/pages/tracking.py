"""The traveller's tracking page behind the signed link: status, who is on it, ETA, timeline.

Plain HTML in the traveller's language, no JavaScript and no cookies, readable
on a phone. It shows what ``tracking_view`` lets through, as the JSON form does;
the only action is "that did not help", which reopens an answered ticket. The short
link (``/t/{code}``, what notices carry) serves it itself, with no redirect to the long
one (``/track/{token}``, still served); either credential opens either path.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from runtime.errors import StrictJsonRoute
from runtime.pages import is_form, render, template_environment, traveller_language, wants_html
from runtime.tracking_codes import SHORT_PATH
from services.intake.api import tracking as tracking_api
from services.intake.api.deps import IntakeDep
from services.intake.domain import IllegalTransition, Ticket
from services.intake.pages.tracking_view import WORDS, not_helped_refusal, tracking_view
from services.intake.service import Intake
from services.intake.tracking_links import tracked_ticket

TEMPLATES = Path(__file__).parents[1] / "templates"
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"content": {"text/html": {}}, "description": "An unknown, forged or expired link."}
}


LONG_PATH = "/track"
router = APIRouter(prefix=LONG_PATH, tags=["travellers"], route_class=StrictJsonRoute)
short_router = APIRouter(prefix=SHORT_PATH, tags=["travellers"], route_class=StrictJsonRoute)
ROUTERS = [router, short_router]
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
    return await tracked_ticket(intake.tickets, intake.signer, token, intake.clock.now())


def tracking(
    request: Request,
    action: str,
    ticket: Ticket,
    now: datetime,
    code: int = 200,
    *,
    reopened: bool = False,
    refused: str | None = None,
) -> HTMLResponse:
    """``action``: where the page's form posts, under the path the link came by."""
    values = {"action": action, "reopened": reopened, "refused": refused}
    return page(request, "track", code, ticket, now, **values)


async def show(path: str, token: str, request: Request, intake: Intake) -> Response:
    ticket = await load(intake, token)
    if ticket is None:
        return page(request, "unknown", 404, None)
    return tracking(request, f"{path}/{token}/not-helped", ticket, intake.clock.now())


async def reopen(path: str, token: str, request: Request, intake: Intake) -> Response:
    ticket = await load(intake, token)
    if ticket is None:
        return page(request, "unknown", 404, None)
    action, now = f"{path}/{token}/not-helped", intake.clock.now()
    try:
        ticket = await intake.act(
            ticket.tenant_id,
            ticket.id,
            lambda t: t.reopen(reason="that did not help", by=t.traveller.id, now=now),
        )
    except IllegalTransition:
        return tracking(request, action, ticket, now, 409, refused=not_helped_refusal(ticket))
    return tracking(request, action, ticket, now, reopened=True)


NOT_HELPED_RESPONSES = {
    **PAGE_RESPONSES,
    409: {"description": "Not answered yet: nothing to reopen."},
}


@router.get("/{token}", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def track_page(token: str, request: Request, intake: IntakeDep) -> Response:
    """The tracking page a traveller's long link opens (HTML)."""
    return await show(LONG_PATH, token, request, intake)


@router.post("/{token}/not-helped", response_class=HTMLResponse, responses=NOT_HELPED_RESPONSES)
async def not_helped(token: str, request: Request, intake: IntakeDep) -> Response:
    """The form twin of ``POST /v1/track/{token}/not-helped``."""
    return await reopen(LONG_PATH, token, request, intake)


SHORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/html": {},
            "application/json": {"schema": {"$ref": "#/components/schemas/TrackingView"}},
        },
        "description": "The page to a browser; to an API client, the JSON view of "
        "`GET /v1/track/{token}`.",
    },
    404: {
        "content": {"text/html": {}, "application/json": {}},
        "description": "An unknown, forged or expired link.",
    },
}


@short_router.get("/{code}", response_class=HTMLResponse, responses=SHORT_RESPONSES)
async def short_page(code: str, request: Request, intake: IntakeDep) -> Response:
    """What ``tracking_url`` and the notices send. A browser gets the page; an API client
    (no ``text/html`` preferred) the JSON view, as the long ``/v1/track/{token}`` link that
    ``tracking_url`` was answers it."""
    if wants_html(request.headers.get("accept")):
        return await show(SHORT_PATH, code, request, intake)
    view = tracking_api.view_for(
        await tracking_api.tracked(intake, code), request, intake.clock.now()
    )
    return JSONResponse(view.model_dump(mode="json"))


@short_router.post(
    "/{code}/not-helped", response_class=HTMLResponse, responses=NOT_HELPED_RESPONSES
)
async def short_not_helped_page(code: str, request: Request, intake: IntakeDep) -> Response:
    """The form of the page the short link opens; to an API client, the JSON answer of
    ``POST /v1/track/{token}/not-helped``, as ``GET`` answers it JSON."""
    if wants_html(request.headers.get("accept")) or is_form(request.headers.get("content-type")):
        return await reopen(SHORT_PATH, code, request, intake)
    answer = await tracking_api.not_helped(code, request, intake)
    if isinstance(answer, Response):
        return answer
    return JSONResponse(answer.model_dump(mode="json"))
