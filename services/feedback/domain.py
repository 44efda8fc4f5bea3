"""Surveys, per-ticket facts and the metrics computed from them. Pure: time passed in.

The facts are a read model built only from events, so they can be rebuilt by
replaying them; metrics are computed in Python (percentiles included) because
the local store does not evaluate ``$percentile``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel

from contracts import events
from contracts.events import Channel, Traveller
from runtime.aggregate import Aggregate

SURVEY_TTL = timedelta(days=14)


class SurveyClosed(Exception):
    """The survey was answered already or has expired."""


def survey_id_for(ticket_id: str, resolution_count: int) -> str:
    """One survey per resolution: a reopened-and-resolved ticket gets a new one."""
    return f"S-{ticket_id}-{resolution_count}"


class Survey(Aggregate):
    ticket_id: str
    traveller: Traveller
    url: str
    sent_at: datetime
    expires_at: datetime
    csat: int | None = None
    comment: str | None = None
    answered_at: datetime | None = None

    @classmethod
    def send(
        cls, tenant_id: str, resolved: events.TicketResolved, *, url: str, now: datetime
    ) -> Survey:
        survey = cls(
            id=survey_id_for(resolved.ticket_id, resolved.resolution_count),
            tenant_id=tenant_id,
            ticket_id=resolved.ticket_id,
            traveller=resolved.traveller,
            url=url,
            sent_at=now,
            expires_at=now + SURVEY_TTL,
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

    def answer(self, *, csat: int, comment: str | None, now: datetime) -> None:
        if self.answered_at is not None:
            raise SurveyClosed("this survey has already been answered")
        if now > self.expires_at:
            raise SurveyClosed("this survey has expired")
        self.csat = csat
        self.comment = comment
        self.answered_at = now
        self.raise_event(
            events.FeedbackReceived(
                survey_id=self.id,
                ticket_id=self.ticket_id,
                csat=csat,
                comment=comment,
                received_at=now,
            )
        )


class TicketFacts(Aggregate):
    """What the metrics need to know about one ticket, merged from its events in any order."""

    channel: Channel | None = None
    opened_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolutions: int = 0
    reopens: int = 0
    csat: int | None = None

    @classmethod
    def blank(cls, tenant_id: str, ticket_id: str) -> TicketFacts:
        return cls(id=ticket_id, tenant_id=tenant_id)

    def opened(self, event: events.TicketOpened) -> None:
        self.channel = event.channel
        self.opened_at = event.opened_at

    def resolved(self, event: events.TicketResolved) -> None:
        self.channel = event.channel
        self.opened_at = self.opened_at or event.opened_at
        self.first_response_at = event.first_response_at
        if self.resolved_at is None or event.resolved_at > self.resolved_at:
            self.resolved_at = event.resolved_at
        self.resolutions = max(self.resolutions, event.resolution_count)

    def reopened(self, _: events.TicketReopened) -> None:
        self.reopens += 1

    def rated(self, event: events.FeedbackReceived) -> None:
        if event.csat is not None:
            self.csat = event.csat


class Stat(BaseModel):
    count: int
    avg: float | None
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> Stat:
        if not values:
            return cls(count=0, avg=None, p50=None, p90=None)
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            avg=round(sum(ordered) / len(ordered), 3),
            p50=_nearest_rank(ordered, 0.5),
            p90=_nearest_rank(ordered, 0.9),
        )


def _nearest_rank(ordered: list[float], q: float) -> float:
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3)


class Csat(BaseModel):
    count: int
    avg: float | None
    satisfied_share: float | None
    """Share of ratings of 4 or 5 (the usual CSAT %)."""


class Metrics(BaseModel):
    tickets: int
    resolved: int
    first_contact_resolution_rate: float | None
    first_response_time_s: Stat
    resolution_time_s: Stat
    csat: Csat


def compute_metrics(facts: Iterable[TicketFacts]) -> Metrics:
    tickets = resolved = resolved_first_time = 0
    frt: list[float] = []
    ttr: list[float] = []
    ratings: list[int] = []
    for fact in facts:
        tickets += 1
        if fact.opened_at and fact.first_response_at:
            frt.append((fact.first_response_at - fact.opened_at).total_seconds())
        if fact.resolved_at:
            resolved += 1
            resolved_first_time += fact.reopens == 0
            if fact.opened_at:
                ttr.append((fact.resolved_at - fact.opened_at).total_seconds())
        if fact.csat is not None:
            ratings.append(fact.csat)
    fcr = round(resolved_first_time / resolved, 4) if resolved else None
    return Metrics(
        tickets=tickets,
        resolved=resolved,
        first_contact_resolution_rate=fcr,
        first_response_time_s=Stat.of(frt),
        resolution_time_s=Stat.of(ttr),
        csat=Csat(
            count=len(ratings),
            avg=round(sum(ratings) / len(ratings), 3) if ratings else None,
            satisfied_share=round(sum(r >= 4 for r in ratings) / len(ratings), 4)
            if ratings
            else None,
        ),
    )
