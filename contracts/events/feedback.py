"""Surveys, their answers and appeals (申诉) against a resolution."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import Event
from contracts.events.values import AppealLevel, Traveller


class SurveySent(Event):
    schema_name: ClassVar[str] = "survey.sent"

    survey_id: str
    ticket_id: str
    traveller: Traveller
    survey_url: str
    sent_at: datetime


SurveyWithdrawalReason = Literal["reopened", "resolved_again", "closed_unresolved"]
"""What undid the resolution a survey asked about (``TicketFacts.resolution_undone``)."""


class SurveyWithdrawn(Event):
    """A survey sent for a resolution that no longer stands: its link takes no rating, and
    notify and intake show it withdrawn. Nothing is sent to the traveller."""

    schema_name: ClassVar[str] = "survey.withdrawn"

    survey_id: str
    ticket_id: str
    traveller: Traveller
    reason: SurveyWithdrawalReason = Field(
        description="reopened; resolved_again (a later resolution, its reopen not yet seen); "
        "closed_unresolved (closed from a status other than resolved)."
    )
    withdrawn_at: datetime


class FeedbackReceived(Event):
    schema_name: ClassVar[str] = "feedback.received"

    survey_id: str
    ticket_id: str
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: str | None = None
    received_at: datetime


class AppealFiled(Event):
    """A traveller appealed a resolution (申诉); intake reopens the ticket, routing escalates it."""

    schema_name: ClassVar[str] = "appeal.filed"

    appeal_id: str
    ticket_id: str
    traveller: Traveller
    reason: str = Field(max_length=5_000)
    appeal_number: int = Field(ge=1, le=2, description="1: first appeal, 2: the last one.")
    level: AppealLevel
    appealed_resolution: int = Field(ge=1, description="resolution_count of the appealed result.")
    via: Literal["survey", "tracking"] = Field(description="The link the traveller used.")
    filed_at: datetime


class AppealResolved(Event):
    """The appeal's outcome: the resolution (or closure) that followed it."""

    schema_name: ClassVar[str] = "appeal.resolved"

    appeal_id: str
    ticket_id: str
    traveller: Traveller
    appeal_number: int = Field(ge=1, le=2)
    level: AppealLevel
    outcome: str = Field(description="The resolution code, or closed / merged.")
    message: str | None = None
    decided_by: str
    decided_at: datetime
    resolution_count: int | None = Field(
        default=None,
        ge=1,
        description="The resolution that decided it (its ticket.resolved, which tells the "
        "traveller); none when a close or merge did.",
    )
