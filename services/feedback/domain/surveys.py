"""Surveys: one per resolution, answered once with CSAT (and NPS when asked) before it expires
or is withdrawn (the resolution it asks about no longer stands)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from contracts import events
from contracts.events import Traveller
from contracts.languages import FALLBACK_LANGUAGE
from runtime.aggregate import Aggregate
from services.feedback.domain.language import page_language

SURVEY_TTL = timedelta(days=14)


class SurveyClosed(Exception):
    """The survey was answered already, has expired or was withdrawn."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def survey_id_for(ticket_id: str, resolution_count: int) -> str:
    """One survey per resolution: a reopened-and-resolved ticket gets a new one."""
    return f"S-{ticket_id}-{resolution_count}"


def resolution_of_survey(survey_id: str) -> int | None:
    """The resolution a survey asked about (the suffix ``survey_id_for`` gave it)."""
    _, _, number = survey_id.rpartition("-")
    return int(number) if number.isdigit() else None


class NpsNotAsked(ValueError):
    """A score for the NPS question of a survey that did not ask it (the traveller is not due)."""


SurveyState = Literal["sent", "answered", "expired", "withdrawn"]


class Survey(Aggregate):
    ticket_id: str
    traveller: Traveller
    url: str
    sent_at: datetime
    expires_at: datetime
    resolution_count: int = 1
    language: str = FALLBACK_LANGUAGE
    ask_nps: bool = False
    csat: int | None = None
    nps: int | None = None
    comment: str | None = None
    answered_at: datetime | None = None
    withdrawn_at: datetime | None = None

    @classmethod
    def send(
        cls,
        tenant_id: str,
        resolved: events.TicketResolved,
        *,
        url: str,
        now: datetime,
        ask_nps: bool = False,
    ) -> Survey:
        survey = cls(
            id=survey_id_for(resolved.ticket_id, resolved.resolution_count),
            tenant_id=tenant_id,
            ticket_id=resolved.ticket_id,
            traveller=resolved.traveller,
            url=url,
            sent_at=now,
            expires_at=now + SURVEY_TTL,
            resolution_count=resolved.resolution_count,
            language=page_language(resolved.traveller),
            ask_nps=ask_nps,
        )
        survey.raise_event(
            events.SurveySent(
                survey_id=survey.id,
                ticket_id=survey.ticket_id,
                traveller=survey.traveller,
                survey_url=url,
                sent_at=now,
            )
        )
        return survey

    def state(self, now: datetime) -> SurveyState:
        """Answered, withdrawn or expired unanswered, or sent and still open."""
        if self.answered_at is not None:
            return "answered"
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "expired" if now > self.expires_at else "sent"

    def answer(
        self, *, csat: int, comment: str | None, now: datetime, nps: int | None = None
    ) -> None:
        if self.answered_at is not None:
            raise SurveyClosed("answered", "this survey has already been answered")
        if self.withdrawn_at is not None:
            raise SurveyClosed(
                "withdrawn",
                "this survey was withdrawn: the ticket was reopened or closed unresolved "
                "after the resolution it asked about",
            )
        if now > self.expires_at:
            raise SurveyClosed("expired", "this survey has expired")
        if nps is not None and not self.ask_nps:
            raise NpsNotAsked("this survey does not ask for NPS")
        self.csat = csat
        self.nps = nps
        self.comment = comment
        self.answered_at = now
        self.raise_event(
            events.FeedbackReceived(
                survey_id=self.id,
                ticket_id=self.ticket_id,
                csat=csat,
                nps=nps,
                comment=comment,
                received_at=now,
            )
        )

    def withdraw(self, now: datetime, reason: events.SurveyWithdrawalReason) -> None:
        """Its resolution no longer stands, so it takes no rating; a rating already given
        stays (it rated that resolution, and the metrics count it there). Announced once,
        when it is withdrawn, so notify and intake stop showing it open."""
        if self.answered_at is None and self.withdrawn_at is None:
            self.withdrawn_at = now
            self.raise_event(
                events.SurveyWithdrawn(
                    survey_id=self.id,
                    ticket_id=self.ticket_id,
                    traveller=self.traveller,
                    reason=reason,
                    withdrawn_at=now,
                )
            )
