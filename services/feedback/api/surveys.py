"""Surveys: the signed link's form or JSON, the traveller's rating, a ticket's surveys for staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.pages import is_form, wants_html
from runtime.signing import TokenError
from runtime.store import NotFound
from services.feedback.api.answers import (
    HTML_OR_JSON,
    bad_link,
    body_doc,
    form_number,
    form_value,
    html,
    notice,
    parsed,
)
from services.feedback.api.deps import FeedbackDep, PagesDep
from services.feedback.api.models import RatingIn, StaffSurveyView, SurveyView
from services.feedback.domain.surveys import NpsNotAsked, Survey, SurveyClosed
from services.feedback.pages.traveller import Pages

router = APIRouter(prefix="/v1/surveys", route_class=StrictJsonRoute)


def survey_view(public: str, survey: Survey, token: str) -> SurveyView:
    return SurveyView.model_validate(
        {**survey.model_dump(), "appeal_url": f"{public}/v1/appeals/{token}"}
    )


def survey_page(
    pages: Pages,
    public: str,
    request: Request,
    survey: Survey,
    token: str,
    *,
    code: int = 200,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    return html(
        pages,
        "survey",
        survey.language,
        code,
        survey=survey,
        action=request.url.path,
        appeal_url=f"{public}/v1/appeals/{token}",
        errors=errors or [],
        values={"csat": "", "nps": "", "comment": "", **(values or {})},
    )


def closed_status(state: str) -> int:
    """409 for a survey already answered, 410 for one withdrawn or expired."""
    return status.HTTP_409_CONFLICT if state == "answered" else status.HTTP_410_GONE


async def form_rating(
    pages: Pages, public: str, request: Request, survey: Survey, token: str
) -> RatingIn | HTMLResponse:
    """The rating a form posted, or the form again with its errors and what was typed."""
    data = await request.form()
    shown = ("csat", "nps", "comment") if survey.ask_nps else ("csat", "comment")
    values = {k: form_value(data, k) or "" for k in shown}
    try:
        return RatingIn.model_validate(
            {k: form_number(v) if k != "comment" else v or None for k, v in values.items()}
        )
    except ValidationError as exc:
        words = pages.words(survey.language)
        fields = sorted({str(e["loc"][0]) for e in exc.errors()})
        errors = [words[f"error_{name}"] for name in fields]
        return survey_page(
            pages, public, request, survey, token, code=422, errors=errors, values=values
        )


@router.get(
    "/{token}",
    tags=["travellers"],
    response_model=SurveyView,
    responses={
        200: HTML_OR_JSON,
        404: {},
        410: {"description": "The link has expired, or the survey was withdrawn (browsers)."},
    },
)
async def get_survey(
    token: str, request: Request, feedback: FeedbackDep, pages: PagesDep
) -> Response:
    """The survey behind a signed link: a form for browsers, the survey as JSON otherwise."""
    public = feedback.public_url
    try:
        survey = await feedback.survey_for(token)
    except (TokenError, NotFound) as exc:
        return await bad_link(pages, request, exc, "survey", feedback)
    if not wants_html(request.headers.get("accept")):
        return JSONResponse(survey_view(public, survey, token).model_dump(mode="json"))
    if survey.answered_at is not None:
        return notice(
            pages,
            survey.language,
            "answered",
            200,
            href=f"{public}/v1/appeals/{token}",
            label=pages.words(survey.language)["appeal_link"],
        )
    if survey.withdrawn_at is not None:
        return notice(pages, survey.language, "withdrawn", status.HTTP_410_GONE)
    if feedback.clock.now() > survey.expires_at:
        return notice(pages, survey.language, "expired", status.HTTP_410_GONE)
    return survey_page(pages, public, request, survey, token)


@router.post(
    "/{token}",
    tags=["travellers"],
    response_model=SurveyView,
    openapi_extra=body_doc(RatingIn),
    responses={
        200: HTML_OR_JSON,
        409: {"description": "Already answered."},
        410: {"description": "The link or the survey has expired, or it was withdrawn."},
        422: {"description": "Invalid rating (the form is shown again with the errors)."},
    },
)
async def rate(token: str, request: Request, feedback: FeedbackDep, pages: PagesDep) -> Response:
    """Record the rating: a form post gets a thank-you page, a JSON post the survey.

    The link is checked before the body is read: without a valid one, nothing is parsed.
    """
    public = feedback.public_url
    form = is_form(request.headers.get("content-type"))
    try:
        survey = await feedback.survey_for(token)
    except (TokenError, NotFound) as exc:
        return await bad_link(pages, request, exc, "survey", feedback)
    closed = survey.state(feedback.clock.now())
    if form and closed != "sent":  # what was typed is moot: say why, not re-show the form
        return notice(pages, survey.language, closed, closed_status(closed))
    if form:
        rating = await form_rating(pages, public, request, survey, token)
        if isinstance(rating, HTMLResponse):
            return rating
    else:
        rating = await parsed(RatingIn, request)
    try:
        survey = await feedback.answer(
            token, csat=rating.csat, nps=rating.nps, comment=rating.comment
        )
    except NpsNotAsked as exc:
        raise invalid(str(exc), ("body", "nps")) from exc
    except SurveyClosed as shut:
        if form:
            return notice(pages, survey.language, shut.code, closed_status(shut.code))
        raise HTTPException(closed_status(shut.code), str(shut)) from shut
    if form:
        return html(
            pages,
            "thanks",
            survey.language,
            unhappy=rating.csat <= 3,
            appeal_url=f"{public}/v1/appeals/{token}",
        )
    return JSONResponse(survey_view(public, survey, token).model_dump(mode="json"))


@router.get("", tags=["staff"])
async def surveys_of_ticket(
    scope: StaffScope,
    ticket_id: Annotated[str, Query(min_length=1, max_length=64)],
    feedback: FeedbackDep,
) -> list[StaffSurveyView]:
    """Surveys sent for one ticket (for agents): sent, answered, expired or withdrawn, and the
    rating; not the traveller's signed link, with which staff could rate their own ticket."""
    found = await feedback.surveys_of(scope.tenant, ticket_id)
    now = feedback.clock.now()
    return [
        StaffSurveyView.model_validate({**s.model_dump(), "state": s.state(now)}) for s in found
    ]
