"""Feedback's HTTP API: survey links for travellers, metrics for managers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from runtime.auth import ManagerScope, StaffScope
from runtime.signing import TokenError, TokenExpired
from runtime.web import TENANT_PATTERN
from services.feedback.domain import Metrics, Survey, SurveyClosed
from services.feedback.handlers import Feedback

DEFAULT_WINDOW = timedelta(days=30)


class SurveyView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    ticket_id: str
    url: str
    sent_at: datetime
    expires_at: datetime
    csat: int | None
    comment: str | None
    answered_at: datetime | None


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csat: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    comment: str | None = Field(default=None, max_length=5_000)


class MetricsView(Metrics):
    tenant: str
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")


def router(feedback: Feedback) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["feedback"])

    async def survey_or_error(token: str) -> Survey:
        try:
            return await feedback.survey_for(token)
        except TokenExpired as exc:
            raise HTTPException(status.HTTP_410_GONE, "this survey link has expired") from exc
        except TokenError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown survey link") from exc

    @api.get("/surveys/{token}")
    async def get_survey(token: str) -> SurveyView:
        """The survey behind a signed link."""
        return SurveyView.model_validate(await survey_or_error(token))

    @api.post("/surveys/{token}")
    async def rate(token: str, rating: RatingIn) -> SurveyView:
        """Record the traveller's rating; a survey takes one answer."""
        await survey_or_error(token)
        try:
            survey = await feedback.answer(token, csat=rating.csat, comment=rating.comment)
        except SurveyClosed as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        return SurveyView.model_validate(survey)

    @api.get("/surveys")
    async def surveys_of_ticket(
        scope: StaffScope, ticket_id: Annotated[str, Query(min_length=1)]
    ) -> list[SurveyView]:
        """Surveys sent for one ticket (for agents)."""
        cursor = feedback.surveys.collection.find(
            {"tenant_id": scope.tenant, "ticket_id": ticket_id}
        )
        return [SurveyView.model_validate(Survey.model_validate(doc)) async for doc in cursor]

    @api.get("/metrics", response_model_by_alias=True)
    async def metrics(
        scope: ManagerScope,
        tenant: Annotated[str | None, Query(pattern=TENANT_PATTERN)] = None,
        start: Annotated[datetime | None, Query(alias="from")] = None,
        end: Annotated[datetime | None, Query(alias="to")] = None,
    ) -> MetricsView:
        """First response time, resolution time, FCR and CSAT of tickets opened in [from, to).

        For managers; ``tenant`` (default: the caller's) must be one of theirs.
        """
        if tenant is not None and tenant not in scope.principal.tenants:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for this tenant")
        tenant = tenant or scope.tenant
        end = end or feedback.clock.now() + timedelta(seconds=1)
        start = start or end - DEFAULT_WINDOW
        if start >= end:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'from' must be before 'to'")
        computed = await feedback.metrics(tenant, start, end)
        return MetricsView(tenant=tenant, start=start, end=end, **computed.model_dump())

    return api
