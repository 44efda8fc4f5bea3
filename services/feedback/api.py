"""Feedback's HTTP API: survey and appeal pages for travellers, metrics and reports for managers.

Traveller endpoints are reached through signed links and answer in kind: a
browser (``Accept: text/html``, form posts) gets plain HTML pages in the
traveller's language; API clients (JSON) keep getting JSON.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.events import AppealLevel
from contracts.text import Text
from runtime.auth import AdminScope, ManagerScope, Scope, StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.headers import CSP, DOCUMENT_POLICY
from runtime.signing import TokenError, TokenExpired
from runtime.store import NotFound
from runtime.web import TENANT_PATTERN
from services.feedback import report
from services.feedback.domain import (
    DIMENSIONS,
    Appeal,
    AppealRefused,
    AppealStatus,
    MetricsReport,
    Survey,
    SurveyClosed,
    level_for,
    page_language,
)
from services.feedback.handlers import AppealTarget, Feedback
from services.feedback.pages import Pages, is_form, wants_html

M = TypeVar("M", bound=BaseModel)
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=400)
HTML_OR_JSON: dict[str, Any] = {"content": {"text/html": {}, "application/json": {}}}


From = Annotated[datetime | None, Query(alias="from", description="Default: 30 days ago.")]
To = Annotated[datetime | None, Query(alias="to", description="Default: now.")]
By = Annotated[
    str | None,
    Query(
        max_length=200,
        description=f"Comma-separated slices: {', '.join(DIMENSIONS)} (UTC buckets).",
    ),
]


class SurveyView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    ticket_id: str
    url: str
    sent_at: datetime
    expires_at: datetime
    language: str
    ask_nps: bool
    csat: int | None
    nps: int | None
    comment: str | None
    answered_at: datetime | None
    appeal_url: str


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csat: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    nps: int | None = Field(default=None, ge=0, le=10, description="Only when the survey asks.")
    comment: Text | None = Field(default=None, max_length=5_000)


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=5_000, examples=["改签后的航班仍然延误，未解决"])


class AppealView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    ticket_id: str
    number: int
    level: AppealLevel
    reason: str
    via: str
    status: AppealStatus
    filed_at: datetime
    outcome: str | None
    outcome_message: str | None
    decided_by: str | None
    decided_at: datetime | None


class Refusal(BaseModel):
    code: str
    message: str


class AppealPage(BaseModel):
    """What the appeal link shows: whether an appeal is possible now, and past appeals."""

    ticket_id: str
    can_appeal: bool
    next_number: int | None
    reviewer: AppealLevel | None
    refused: Refusal | None
    appeals: list[AppealView]


class MetricsView(MetricsReport):
    tenant: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")


def _body_error(exc: ValidationError) -> RequestValidationError:
    """The same 422 FastAPI gives for a declared body (``loc`` starts with ``body``)."""
    return RequestValidationError(
        [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
    )


async def _parsed(model: type[M], request: Request) -> M:
    """A JSON body checked before anything else, as FastAPI does for a declared body."""
    try:
        raw = await request.json()
    except ValueError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "invalid JSON", "input": None}]
        ) from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _body_error(exc) from exc


def _form_value(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


def router(feedback: Feedback, pages: Pages) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=StrictJsonRoute)
    public = feedback.public_url

    def html(name: str, language: str, code: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(pages.render(name, language, **values), status_code=code)

    def notice(language: str, key: str, code: int, **link: str) -> HTMLResponse:
        words = pages.words(language)
        return html(
            "notice",
            language,
            code,
            heading=words[f"{key}_title"],
            text=words[f"{key}_text"],
            link=link.get("href"),
            link_label=link.get("label"),
        )

    def bad_link(request: Request, exc: Exception, what: str) -> Response:
        """Expired links answer 410, forged or unknown ones 404 — as a page or as JSON."""
        expired = isinstance(exc, TokenExpired)
        code = status.HTTP_410_GONE if expired else status.HTTP_404_NOT_FOUND
        if wants_html(request.headers.get("accept")) or is_form(
            request.headers.get("content-type")
        ):
            language = page_language(None, request.headers.get("accept-language"))
            return notice(language, "expired" if expired else "unknown", code)
        detail = f"this {what} link has expired" if expired else f"unknown {what} link"
        return JSONResponse({"detail": detail}, status_code=code)

    def survey_view(survey: Survey, token: str) -> SurveyView:
        return SurveyView.model_validate(
            {**survey.model_dump(), "appeal_url": f"{public}/v1/appeals/{token}"}
        )

    def survey_page(
        request: Request,
        survey: Survey,
        token: str,
        *,
        code: int = 200,
        errors: list[str] | None = None,
        values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        return html(
            "survey",
            survey.language,
            code,
            survey=survey,
            action=request.url.path,
            appeal_url=f"{public}/v1/appeals/{token}",
            errors=errors or [],
            values={"csat": "", "nps": "", "comment": "", **(values or {})},
        )

    # ------------------------------------------------------------- surveys

    @api.get(
        "/surveys/{token}",
        tags=["travellers"],
        response_model=SurveyView,
        responses={200: HTML_OR_JSON, 404: {}, 410: {"description": "The link has expired."}},
    )
    async def get_survey(token: str, request: Request) -> Response:
        """The survey behind a signed link: a form for browsers, the survey as JSON otherwise."""
        try:
            survey = await feedback.survey_for(token)
        except (TokenError, NotFound) as exc:
            return bad_link(request, exc, "survey")
        if not wants_html(request.headers.get("accept")):
            return JSONResponse(survey_view(survey, token).model_dump(mode="json"))
        if survey.answered_at is not None:
            return notice(
                survey.language,
                "answered",
                200,
                href=f"{public}/v1/appeals/{token}",
                label=pages.words(survey.language)["appeal_link"],
            )
        if feedback.clock.now() > survey.expires_at:
            return notice(survey.language, "expired", status.HTTP_410_GONE)
        return survey_page(request, survey, token)

    @api.post(
        "/surveys/{token}",
        tags=["travellers"],
        response_model=SurveyView,
        openapi_extra=_body_doc(RatingIn),
        responses={
            200: HTML_OR_JSON,
            409: {"description": "Already answered."},
            410: {"description": "The link or the survey has expired."},
            422: {"description": "Invalid rating (the form is shown again with the errors)."},
        },
    )
    async def rate(token: str, request: Request) -> Response:
        """Record the rating: a form post gets a thank-you page, a JSON post the survey.

        The link is checked before the body is read: without a valid one, nothing is parsed.
        """
        form = is_form(request.headers.get("content-type"))
        try:
            survey = await feedback.survey_for(token)
        except (TokenError, NotFound) as exc:
            return bad_link(request, exc, "survey")
        rating = None if form else await _parsed(RatingIn, request)
        if rating is None:
            data = await request.form()
            values = {k: _form_value(data, k) or "" for k in ("csat", "nps", "comment")}
            try:
                rating = RatingIn.model_validate({k: v or None for k, v in values.items()})
            except ValidationError as exc:
                words = pages.words(survey.language)
                fields = sorted({str(e["loc"][0]) for e in exc.errors()})
                errors = [words[f"error_{name}"] for name in fields]
                return survey_page(request, survey, token, code=422, errors=errors, values=values)
        try:
            survey = await feedback.answer(
                token, csat=rating.csat, nps=rating.nps, comment=rating.comment
            )
        except SurveyClosed as closed:
            code = status.HTTP_409_CONFLICT if closed.code == "answered" else status.HTTP_410_GONE
            if form:
                return notice(survey.language, closed.code, code)
            raise HTTPException(code, str(closed)) from closed
        if form:
            return html(
                "thanks",
                survey.language,
                unhappy=rating.csat <= 3,
                appeal_url=f"{public}/v1/appeals/{token}",
            )
        return JSONResponse(survey_view(survey, token).model_dump(mode="json"))

    @api.get("/surveys", tags=["staff"])
    async def surveys_of_ticket(
        scope: StaffScope, ticket_id: Annotated[str, Query(min_length=1, max_length=64)]
    ) -> list[SurveyView]:
        """Surveys sent for one ticket (for agents)."""
        cursor = feedback.surveys.collection.find(
            {"tenant_id": scope.tenant, "ticket_id": ticket_id}
        )
        found = [Survey.model_validate(doc) async for doc in cursor]
        return [survey_view(s, s.url.rsplit("/", 1)[-1]) for s in sorted(found, key=lambda s: s.id)]

    # ------------------------------------------------------------- appeals

    async def appeal_page(target: AppealTarget) -> AppealPage:
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

    async def appeal_language(request: Request, target: AppealTarget) -> str:
        check_traveller = target.survey.traveller if target.survey else None
        if check_traveller is None:
            facts = await feedback.facts.get(target.tenant_id, target.ticket_id)
            check_traveller = facts.traveller if facts else None
        return page_language(check_traveller, request.headers.get("accept-language"))

    def refused_page(language: str, refused: Refusal) -> HTMLResponse:
        words = pages.words(language)
        return html(
            "notice",
            language,
            status.HTTP_409_CONFLICT,
            heading=words["refused_title"],
            text=words[f"refused_{refused.code}"],
            link=None,
            link_label=None,
        )

    def appeal_form(
        request: Request,
        language: str,
        state: AppealPage,
        *,
        code: int = 200,
        errors: list[str] | None = None,
        reason: str = "",
    ) -> HTMLResponse:
        return html(
            "appeal",
            language,
            code,
            ticket_id=state.ticket_id,
            level=(state.reviewer or AppealLevel.EXPERT).value,
            action=request.url.path,
            errors=errors or [],
            reason=reason,
        )

    @api.get(
        "/appeals/{token}",
        tags=["travellers"],
        response_model=AppealPage,
        responses={200: HTML_OR_JSON, 404: {}, 409: {"description": "No appeal possible now."}},
    )
    async def get_appeal(token: str, request: Request) -> Response:
        """The appeal form (survey or tracking link), or why an appeal is not possible now."""
        try:
            target = await feedback.appeal_target(token)
        except (TokenError, NotFound) as exc:
            return bad_link(request, exc, "appeal")
        state = await appeal_page(target)
        if not wants_html(request.headers.get("accept")):
            return JSONResponse(state.model_dump(mode="json"))
        language = await appeal_language(request, target)
        if state.refused is not None:
            return refused_page(language, state.refused)
        return appeal_form(request, language, state)

    @api.post(
        "/appeals/{token}",
        tags=["travellers"],
        response_model=AppealView,
        status_code=status.HTTP_201_CREATED,
        openapi_extra=_body_doc(AppealIn),
        responses={
            200: {"content": {"text/html": {}}, "description": "The confirmation page."},
            409: {"description": "No appeal possible now (pending, closed, final, too late)."},
        },
    )
    async def file_appeal(token: str, request: Request) -> Response:
        """File an appeal: the ticket reopens with a raised priority for an expert (or manager).

        The link is checked before the body is read: without a valid one, nothing is parsed.
        """
        form = is_form(request.headers.get("content-type"))
        try:
            target = await feedback.appeal_target(token)
        except (TokenError, NotFound) as exc:
            return bad_link(request, exc, "appeal")
        body = None if form else await _parsed(AppealIn, request)
        language = await appeal_language(request, target)
        if body is None:
            reason = _form_value(await request.form(), "reason") or ""
            try:
                body = AppealIn(reason=reason)
            except ValidationError:
                state = await appeal_page(target)
                if state.refused is not None:
                    return refused_page(language, state.refused)
                errors = [pages.words(language)["error_reason"]]
                return appeal_form(request, language, state, code=422, errors=errors, reason=reason)
        try:
            appeal = await feedback.file_appeal(target, body.reason)
        except AppealRefused as refused:
            refusal = Refusal(code=refused.code, message=str(refused))
            if form:
                return refused_page(language, refusal)
            return JSONResponse(
                {"detail": refusal.message, "code": refusal.code},
                status_code=status.HTTP_409_CONFLICT,
            )
        if form:
            return html(
                "appeal_filed",
                language,
                appeal=appeal,
                filed_at=appeal.filed_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        return JSONResponse(
            AppealView.model_validate(appeal).model_dump(mode="json"),
            status_code=status.HTTP_201_CREATED,
        )

    @api.get("/appeals", tags=["staff"])
    async def appeals_of_ticket(
        scope: StaffScope, ticket_id: Annotated[str, Query(min_length=1, max_length=64)]
    ) -> list[AppealView]:
        """A ticket's appeals with their reviewers and outcomes."""
        found: list[Appeal] = await feedback.appeals_of(scope.tenant, ticket_id)
        return [AppealView.model_validate(a) for a in found]

    # ------------------------------------------------------------- metrics

    def tenant_of(scope: Scope, tenant: str | None) -> str:
        if tenant is not None and tenant not in scope.principal.tenants:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for this tenant")
        return tenant or scope.tenant

    def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
        end = end or feedback.clock.now() + timedelta(seconds=1)
        start = start or end - DEFAULT_WINDOW
        if start >= end:
            raise invalid("'from' must be before 'to'", ("query", "from"))
        if end - start > MAX_WINDOW:
            raise invalid("at most 400 days at once", ("query", "from"))
        return start, end

    def dimensions(by: str | None) -> list[str]:
        names = [name.strip() for name in (by or "").split(",") if name.strip()]
        unknown = [name for name in names if name not in DIMENSIONS]
        if unknown or len(set(names)) != len(names):
            raise invalid(
                f"'by' takes distinct names among {', '.join(DIMENSIONS)}", ("query", "by")
            )
        return names

    @api.get("/metrics", tags=["managers"], response_model_by_alias=True)
    async def metrics(
        scope: ManagerScope,
        tenant: Annotated[str | None, Query(max_length=64, pattern=TENANT_PATTERN)] = None,
        start: From = None,
        end: To = None,
        by: By = None,
    ) -> MetricsView:
        """The desk's numbers for tickets opened in [from, to), overall and per slice.

        For managers; ``tenant`` (default: the caller's) must be one of theirs.
        """
        tenant = tenant_of(scope, tenant)
        start, end = window(start, end)
        computed = await feedback.metrics(tenant, start, end, dimensions(by))
        return MetricsView(tenant=tenant, start=start, end=end, **computed.model_dump())

    @api.get(
        "/reports/{tenant_id}.csv",
        tags=["managers"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}}}},
    )
    async def report_csv(
        scope: ManagerScope,
        tenant_id: Annotated[str, Path(pattern=TENANT_PATTERN)],
        start: From = None,
        end: To = None,
        by: By = "day",
    ) -> Response:
        """The metrics as CSV, one row per slice (default: per day)."""
        tenant = tenant_of(scope, tenant_id)
        start, end = window(start, end)
        computed = await feedback.metrics(tenant, start, end, dimensions(by))
        return Response(
            report.metrics_csv(computed),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{tenant}.csv"'},
        )

    @api.get(
        "/reports/{tenant_id}/{month}.html",
        tags=["managers"],
        response_class=HTMLResponse,
    )
    async def report_monthly(
        scope: ManagerScope,
        tenant_id: Annotated[str, Path(pattern=TENANT_PATTERN)],
        month: Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])],
    ) -> HTMLResponse:
        """The monthly report: key figures, charts of volume, FRT and CSAT, category trends."""
        tenant = tenant_of(scope, tenant_id)
        first = date(int(month[:4]), int(month[5:]), 1)
        start, end = report.report_span(first)
        facts = await feedback.facts_between(tenant, start, end)
        now = feedback.clock.now()

        def render() -> str:
            built = report.build_monthly(facts, tenant=tenant, month=first, now=now)
            return report.render_monthly(built, first)

        return HTMLResponse(await asyncio.to_thread(render), headers={CSP: DOCUMENT_POLICY})

    @api.post("/admin/archive", tags=["admin"])
    async def archive_now(scope: AdminScope) -> dict[str, dict[str, int]]:
        """Run retention for the caller's tenant now (it also runs on its own every hour)."""
        return {"moved": await feedback.archive(feedback.clock.now(), scope.tenant)}

    return api
