"""What feedback's API takes and answers: surveys, ratings, appeals and the metrics view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from contracts.events import AppealLevel
from contracts.text import free_text
from services.feedback.domain.appeals import AppealStatus
from services.feedback.domain.metrics import MetricsReport


class _SurveyFacts(BaseModel):
    """What a survey asked and what it was answered: the part every view shows."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    ticket_id: str
    sent_at: datetime
    expires_at: datetime
    language: str
    ask_nps: bool
    csat: int | None
    nps: int | None
    comment: str | None
    answered_at: datetime | None
    withdrawn_at: datetime | None
    """Set when the resolution it asks about no longer stands: it takes no rating."""


class SurveyView(_SurveyFacts):
    """The traveller's survey, with the links it is answered and appealed by."""

    url: str
    appeal_url: str


class StaffSurveyView(_SurveyFacts):
    """A survey as staff see it: whether it was answered and what it said, never its link.

    The link is the traveller's credential (it rates the ticket and opens the appeal
    page): an agent who had it could rate their own work or appeal in the traveller's name.
    """

    state: Literal["sent", "answered", "expired", "withdrawn"] = Field(
        description="sent (open), answered, expired unanswered, or withdrawn unanswered "
        "(the ticket was reopened or closed unresolved after the resolution it asks about)."
    )


class RatingIn(BaseModel):
    """A JSON rating: numbers are numbers (``"5"`` is a 422); the HTML form is read apart."""

    model_config = ConfigDict(extra="forbid")

    csat: StrictInt = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    nps: StrictInt | None = Field(
        default=None, ge=0, le=10, description="Only when the survey asks."
    )
    comment: Annotated[str, free_text(max_length=5_000)] | None = None


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, free_text(min_length=1, max_length=5_000)] = Field(
        examples=["改签后的航班仍然延误，未解决"]
    )


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
