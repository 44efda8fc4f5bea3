"""Appeals (申诉): the form behind a survey or tracking link, filing one, and a ticket's appeals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from contracts.events import AppealLevel
from contracts.local_time import reader_time
from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.pages import is_form, wants_html
from runtime.signing import TokenError
from runtime.store import NotFound
from services.feedback.api.answers import HTML_OR_JSON, bad_link, body_doc, form_value, html, parsed
from services.feedback.api.deps import FeedbackDep, PagesDep
from services.feedback.api.models import AppealIn, AppealPage, AppealView, Refusal
from services.feedback.domain.appeals import Appeal, AppealRefused, level_for
from services.feedback.domain.language import page_language
from services.feedback.pages.traveller import Pages
from services.feedback.service import AppealTarget, Feedback

router = APIRouter(prefix="/v1/appeals", route_class=StrictJsonRoute)


async def appeal_page(feedback: Feedback, target: AppealTarget) -> AppealPage:
    check = await feedback.check_appeal(target)
    refused = check.outcome if isinstance(check.outcome, AppealRefused) else None
    grounds = None if isinstance(check.outcome, AppealRefused) else check.outcome
    return AppealPage(
        ticket_id=target.ticket_id,
        can_appeal=grounds is not None,
        next_number=grounds.number if grounds else None,
        reviewer=level_for(grounds.number) if grounds else None,
        refused=Refusal(code=refused.code, message=str(refused)) if refused else None,
        appeals=[AppealView.model_validate(a) for a in check.appeals],
    )


async def appeal_language(feedback: Feedback, request: Request, target: AppealTarget) -> str:
    check_traveller = target.survey.traveller if target.survey else None
    if check_traveller is None:
        facts = await feedback.facts.get(target.tenant_id, target.ticket_id)
        check_traveller = facts.traveller if facts else None
    return page_language(check_traveller, request.headers.get("accept-language"))


async def reader_clock(
    feedback: Feedback, target: AppealTarget, language: str, moment: datetime
) -> str:
    """``moment`` as the traveller reads it on a page, as notices and the tracking page show
    times: in their own zone, else the desk's business zone, else UTC, with the offset."""
    facts = await feedback.facts.get(target.tenant_id, target.ticket_id)
    traveller = target.survey.traveller if target.survey else None
    own = (traveller.time_zone if traveller else None) or (
        facts.traveller.time_zone if facts and facts.traveller else None
    )
    return reader_time(moment, language, own, facts.business_time_zone if facts else None)


def refused_page(pages: Pages, language: str, refused: Refusal) -> HTMLResponse:
    words = pages.words(language)
    return html(
        pages,
        "notice",
        language,
        status.HTTP_409_CONFLICT,
        heading=words["refused_title"],
        text=words[f"refused_{refused.code}"],
        link=None,
        link_label=None,
    )


def appeal_form(
    pages: Pages,
    request: Request,
    language: str,
    state: AppealPage,
    *,
    code: int = 200,
    errors: list[str] | None = None,
    reason: str = "",
) -> HTMLResponse:
    return html(
        pages,
        "appeal",
        language,
        code,
        ticket_id=state.ticket_id,
        level=(state.reviewer or AppealLevel.EXPERT).value,
        action=request.url.path,
        errors=errors or [],
        reason=reason,
    )


@router.get(
    "/{token}",
    tags=["travellers"],
    response_model=AppealPage,
    responses={200: HTML_OR_JSON, 404: {}, 409: {"description": "No appeal possible now."}},
)
async def get_appeal(
    token: str, request: Request, feedback: FeedbackDep, pages: PagesDep
) -> Response:
    """The appeal form (survey or tracking link), or why an appeal is not possible now."""
    try:
        target = await feedback.appeal_target(token)
    except (TokenError, NotFound) as exc:
        return await bad_link(pages, request, exc, "appeal", feedback)
    state = await appeal_page(feedback, target)
    if not wants_html(request.headers.get("accept")):
        return JSONResponse(state.model_dump(mode="json"))
    language = await appeal_language(feedback, request, target)
    if state.refused is not None:
        return refused_page(pages, language, state.refused)
    return appeal_form(pages, request, language, state)


@router.post(
    "/{token}",
    tags=["travellers"],
    response_model=AppealView,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=body_doc(AppealIn),
    responses={
        200: {"content": {"text/html": {}}, "description": "The confirmation page."},
        409: {"description": "No appeal possible now (pending, closed, final, too late)."},
    },
)
async def file_appeal(
    token: str, request: Request, feedback: FeedbackDep, pages: PagesDep
) -> Response:
    """File an appeal: the ticket reopens with a raised priority for an expert (or manager).

    The link is checked before the body is read: without a valid one, nothing is parsed.
    """
    form = is_form(request.headers.get("content-type"))
    try:
        target = await feedback.appeal_target(token)
    except (TokenError, NotFound) as exc:
        return await bad_link(pages, request, exc, "appeal", feedback)
    body = None if form else await parsed(AppealIn, request)
    language = await appeal_language(feedback, request, target)
    if body is None:
        reason = form_value(await request.form(), "reason") or ""
        try:
            body = AppealIn(reason=reason)
        except ValidationError:
            state = await appeal_page(feedback, target)
            if state.refused is not None:
                return refused_page(pages, language, state.refused)
            errors = [pages.words(language)["error_reason"]]
            return appeal_form(
                pages, request, language, state, code=422, errors=errors, reason=reason
            )
    try:
        appeal = await feedback.file_appeal(target, body.reason)
    except AppealRefused as refused:
        refusal = Refusal(code=refused.code, message=str(refused))
        if form:
            return refused_page(pages, language, refusal)
        return JSONResponse(
            {"detail": refusal.message, "code": refusal.code},
            status_code=status.HTTP_409_CONFLICT,
        )
    if form:
        return html(
            pages,
            "appeal_filed",
            language,
            appeal=appeal,
            filed_at=await reader_clock(feedback, target, language, appeal.filed_at),
        )
    return JSONResponse(
        AppealView.model_validate(appeal).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED,
    )


@router.get("", tags=["staff"])
async def appeals_of_ticket(
    scope: StaffScope,
    ticket_id: Annotated[str, Query(min_length=1, max_length=64)],
    feedback: FeedbackDep,
) -> list[AppealView]:
    """A ticket's appeals with their reviewers and outcomes."""
    found: list[Appeal] = await feedback.appeals_of(scope.tenant, ticket_id)
    return [AppealView.model_validate(a) for a in found]
