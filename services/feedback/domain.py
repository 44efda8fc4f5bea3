"""Surveys, appeals, per-ticket facts and the metrics computed from them. Pure: time passed in.

The facts are a read model built only from events: every merge is keyed on
something the event carries (a resolution number, a survey id, a timestamp),
so events may come in any order and any number of times and the facts come out
the same — replaying the event history rebuilds them. Metrics are computed in
Python (percentiles included) because the local store does not evaluate
``$percentile``; time-bucket keys are stored at write time instead of
``$dateTrunc``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field

from contracts import events
from contracts.envelope import Event
from contracts.events import AppealLevel, BookingReference, Channel, Priority, Traveller
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from runtime.aggregate import Aggregate
from runtime.clock import epoch_ms
from services.feedback.sla import (
    BreachFact,
    ClockFact,
    Share,
    Sla,
    SlaTally,
    merge_breach,
    merge_clock,
)

SURVEY_TTL = timedelta(days=14)
REPEAT_WINDOW = timedelta(hours=72)
CRITICAL_TARGET = timedelta(minutes=10)

# --------------------------------------------------------------------- language


def page_language(traveller: Traveller | None, accept_language: str | None = None) -> str:
    """The traveller's preference, the language they wrote in, the browser's, else English."""
    tags = [traveller.language, traveller.detected_language] if traveller else []
    tags += [part.split(";")[0] for part in (accept_language or "").split(",")]
    for tag in tags:
        if language := supported_language(tag):
            return language
    return FALLBACK_LANGUAGE


# ---------------------------------------------------------------------- surveys


class SurveyClosed(Exception):
    """The survey was answered already or has expired."""

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

    def answer(
        self, *, csat: int, comment: str | None, now: datetime, nps: int | None = None
    ) -> None:
        if self.answered_at is not None:
            raise SurveyClosed("answered", "this survey has already been answered")
        if now > self.expires_at:
            raise SurveyClosed("expired", "this survey has expired")
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


class TravellerPulse(Aggregate):
    """When we last asked a traveller for NPS: it is asked on a cadence, not every ticket."""

    traveller_id: str
    last_nps_asked_at: datetime | None = None

    @staticmethod
    def id_for(tenant_id: str, traveller_id: str) -> str:
        return f"{tenant_id}/{traveller_id}"

    @classmethod
    def blank(cls, tenant_id: str, traveller_id: str) -> TravellerPulse:
        return cls(
            id=cls.id_for(tenant_id, traveller_id), tenant_id=tenant_id, traveller_id=traveller_id
        )

    def nps_due(self, now: datetime, cadence: timedelta) -> bool:
        return self.last_nps_asked_at is None or now - self.last_nps_asked_at >= cadence

    def asked(self, at: datetime) -> None:
        if self.last_nps_asked_at is None or at > self.last_nps_asked_at:
            self.last_nps_asked_at = at


# ---------------------------------------------------------------------- appeals

MAX_APPEALS = 2


class AppealRefused(Exception):
    """The ticket cannot be appealed now; ``code`` picks the traveller's explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AppealStatus(StrEnum):
    FILED = "filed"
    DECIDED = "decided"


def appeal_id_for(ticket_id: str, number: int) -> str:
    """Deterministic: two racing submissions of the same appeal collide on the id."""
    return f"A-{ticket_id}-{number}"


def level_for(number: int) -> AppealLevel:
    return AppealLevel.EXPERT if number == 1 else AppealLevel.SUPPORT_MANAGER


class Appeal(Aggregate):
    ticket_id: str
    traveller: Traveller
    number: int
    level: AppealLevel
    reason: str
    via: Literal["survey", "tracking"]
    appealed_resolution: int
    filed_at: datetime
    status: AppealStatus = AppealStatus.FILED
    outcome: str | None = None
    outcome_message: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @classmethod
    def file(
        cls,
        tenant_id: str,
        ticket_id: str,
        grounds: Appealable,
        *,
        reason: str,
        via: Literal["survey", "tracking"],
        now: datetime,
    ) -> Appeal:
        appeal = cls(
            id=appeal_id_for(ticket_id, grounds.number),
            tenant_id=tenant_id,
            ticket_id=ticket_id,
            traveller=grounds.traveller,
            number=grounds.number,
            level=level_for(grounds.number),
            reason=reason,
            via=via,
            appealed_resolution=grounds.resolution,
            filed_at=now,
        )
        appeal.raise_event(
            events.AppealFiled(
                appeal_id=appeal.id,
                ticket_id=appeal.ticket_id,
                traveller=appeal.traveller,
                reason=reason,
                appeal_number=appeal.number,
                level=appeal.level,
                appealed_resolution=appeal.appealed_resolution,
                via=via,
                filed_at=now,
            )
        )
        return appeal

    def decide_by_resolution(self, resolved: events.TicketResolved) -> None:
        """A resolution after the appealed one is the appeal's outcome."""
        if resolved.resolution_count > self.appealed_resolution:
            self._decide(
                resolved.resolution_code,
                resolved.message,
                resolved.resolved_by,
                resolved.resolved_at,
            )

    def decide_by_closure(self, outcome: str, by: str, at: datetime) -> None:
        """The ticket was closed or merged before anyone resolved the appeal."""
        self._decide(outcome, None, by, at)

    def _decide(self, outcome: str, message: str | None, by: str, at: datetime) -> None:
        if self.status is AppealStatus.DECIDED:
            return
        self.status = AppealStatus.DECIDED
        self.outcome, self.outcome_message, self.decided_by, self.decided_at = (
            outcome,
            message,
            by,
            at,
        )
        self.raise_event(
            events.AppealResolved(
                appeal_id=self.id,
                ticket_id=self.ticket_id,
                traveller=self.traveller,
                appeal_number=self.number,
                level=self.level,
                outcome=outcome,
                message=message,
                decided_by=by,
                decided_at=at,
            )
        )


class Appealable(NamedTuple):
    """What an appeal needs to know about the ticket it appeals."""

    number: int
    traveller: Traveller
    resolution: int


def next_appeal(
    facts: TicketFacts | None, appeals: Sequence[Appeal], *, now: datetime, window: timedelta
) -> Appealable:
    """What the traveller's next appeal would be, or why there can be none now."""
    latest = facts.latest_resolution if facts else None
    if facts is None or latest is None or facts.traveller is None:
        raise AppealRefused("not_resolved", "the ticket has not been resolved yet")
    if facts.merged_into or facts.closed_at:
        raise AppealRefused("closed", "the ticket is closed")
    if any(a.status is AppealStatus.FILED for a in appeals):
        raise AppealRefused("pending", "an appeal of this ticket is being reviewed")
    if len(appeals) >= MAX_APPEALS:
        raise AppealRefused("exhausted", "the support manager's decision was final")
    if facts.resolved_at is None:
        raise AppealRefused("not_resolved", "the ticket is being worked on again")
    if now - facts.resolved_at > window:
        raise AppealRefused("too_late", "the time to appeal this resolution has passed")
    return Appealable(len(appeals) + 1, facts.traveller, latest.number)


# ------------------------------------------------------------------------ facts


def hour_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def day_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def week_key(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def supplier_of(references: Iterable[BookingReference]) -> str | None:
    """The airline of the first flight number (its IATA designator), until #8 names suppliers."""
    for reference in references:
        if reference.kind is events.ReferenceKind.FLIGHT and len(reference.value) > 2:
            return reference.value[:2]
    return None


class Buckets(BaseModel):
    hour: str
    day: str
    week: str

    @classmethod
    def of(cls, at: datetime) -> Buckets:
        return cls(hour=hour_key(at), day=day_key(at), week=week_key(at))


class ContactFact(BaseModel):
    """One inbound contact: the opening one or a follow-up."""

    at: datetime
    channel: Channel
    buckets: Buckets


class ResolutionFact(BaseModel):
    number: int
    at: datetime
    by: str
    code: str


class RatingFact(BaseModel):
    survey_id: str
    resolution: int | None
    csat: int | None
    nps: int | None
    at: datetime


class AppealFact(BaseModel):
    appeal_id: str
    number: int
    filed_at: datetime | None = None
    outcome: str | None = None
    decided_at: datetime | None = None


def _earliest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    return current if candidate is None or current <= candidate else candidate


class TicketFacts(Aggregate):
    """What the metrics need to know about one ticket, merged from its events in any order."""

    traveller: Traveller | None = None
    channel: Channel | None = None
    language: str | None = None
    references: list[str] = Field(default_factory=list)
    supplier: str | None = None
    category: str | None = None
    category_hint: str | None = None
    opened_at: datetime | None = None
    opened_ms: int | None = None
    buckets: Buckets | None = None
    opened_priority: Priority | None = None
    first_routed_at: datetime | None = None
    first_routed_priority: Priority | None = None
    last_routed_at: datetime | None = None
    queue: str | None = None
    assignee: str | None = None
    placed_at: datetime | None = None
    """When queue/assignee were last set (routing or a transfer): the later one wins."""
    first_response_at: datetime | None = None
    bot_answered_at: datetime | None = None
    contacts: list[ContactFact] = Field(default_factory=list)
    last_contact_ms: int | None = None
    resolutions: list[ResolutionFact] = Field(default_factory=list)
    reopens: list[datetime] = Field(default_factory=list)
    closed_at: datetime | None = None
    merged_into: str | None = None
    ratings: list[RatingFact] = Field(default_factory=list)
    appeals: list[AppealFact] = Field(default_factory=list)
    sla_clocks: list[ClockFact] = Field(default_factory=list)
    sla_breaches: list[BreachFact] = Field(default_factory=list)
    last_event_ms: int = 0
    """Newest event time seen: retention archives facts that have been quiet long enough."""

    @classmethod
    def blank(cls, tenant_id: str, ticket_id: str) -> TicketFacts:
        return cls(id=ticket_id, tenant_id=tenant_id)

    # -- merging events

    def apply(self, event: Event) -> None:
        """Merge one event; applying it again, or in another order, changes nothing more."""
        match event:
            case events.TicketOpened():
                self._opened(event)
            case events.TicketFollowedUp():
                self._know(event.traveller, event.received_at)
                self._contact(event.received_at, event.channel)
            case events.TicketReplied():
                self._know(event.traveller, event.replied_at)
                self.first_response_at = _earliest(self.first_response_at, event.replied_at)
            case events.TicketBotAnswered():
                self._know(event.traveller, event.answered_at)
                self.first_response_at = _earliest(self.first_response_at, event.answered_at)
                self.bot_answered_at = _earliest(self.bot_answered_at, event.answered_at)
                self.category = self.category or event.category
                self.language = self.language or supported_language(event.language)
            case events.TicketRouted():
                self._routed(event)
            case events.TicketTransferred():
                self._place(event.to_queue, event.to_assignee, event.transferred_at)
            case events.TicketStatusChanged():
                self._touch(event.changed_at)
                if event.to_status == "closed":
                    self.closed_at = _earliest(self.closed_at, event.changed_at)
                elif event.to_status == "bot_answered":
                    self.bot_answered_at = _earliest(self.bot_answered_at, event.changed_at)
            case events.TicketMerged():
                self._touch(event.merged_at)
                self.merged_into = event.into_ticket_id
                self.closed_at = _earliest(self.closed_at, event.merged_at)
            case events.TicketResolved():
                self._resolved(event)
            case events.TicketReopened():
                self._know(event.traveller, event.reopened_at)
                if event.reopened_at not in self.reopens:
                    self.reopens = sorted([*self.reopens, event.reopened_at])
            case events.FeedbackReceived():
                self._touch(event.received_at)
                rating = RatingFact(
                    survey_id=event.survey_id,
                    resolution=resolution_of_survey(event.survey_id),
                    csat=event.csat,
                    nps=event.nps,
                    at=event.received_at,
                )
                self.ratings = sorted(
                    [*(r for r in self.ratings if r.survey_id != event.survey_id), rating],
                    key=lambda r: r.survey_id,
                )
            case events.AppealFiled():
                self._know(event.traveller, event.filed_at)
                self._appeal(event.appeal_id, event.appeal_number, filed_at=event.filed_at)
            case events.AppealResolved():
                self._know(event.traveller, event.decided_at)
                self._appeal(
                    event.appeal_id,
                    event.appeal_number,
                    outcome=event.outcome,
                    decided_at=event.decided_at,
                )
            case events.SlaClockStopped():
                self._touch(event.stopped_at)
                self.sla_clocks = merge_clock(self.sla_clocks, event)
            case events.SlaBreached():
                self._touch(event.breached_at)
                self.sla_breaches = merge_breach(self.sla_breaches, event)

    def _appeal(self, appeal_id: str, number: int, **known: Any) -> None:
        """Filing and decision may arrive in either order: each fills in its own fields."""
        current = next((a for a in self.appeals if a.appeal_id == appeal_id), None)
        merged = (current or AppealFact(appeal_id=appeal_id, number=number)).model_copy(
            update=known
        )
        others = [a for a in self.appeals if a.appeal_id != appeal_id]
        self.appeals = sorted([*others, merged], key=lambda a: a.number)

    def _opened(self, event: events.TicketOpened) -> None:
        self._know(event.traveller, event.opened_at)
        self.traveller = event.traveller
        self.channel = event.channel
        self.language = (
            supported_language(event.language)
            or supported_language(event.traveller.language)
            or self.language
        )
        self.references = sorted({r.value for r in event.references})
        self.supplier = supplier_of(event.references)
        self.category_hint = event.category_hint
        self.opened_priority = event.priority
        self._set_opened(event.opened_at)
        self._contact(event.opened_at, event.channel)

    def _routed(self, event: events.TicketRouted) -> None:
        self._know(event.traveller, event.routed_at)
        if self.first_routed_at is None or event.routed_at < self.first_routed_at:
            self.first_routed_at = event.routed_at
            self.first_routed_priority = event.priority
        if self.last_routed_at is None or event.routed_at >= self.last_routed_at:
            self.last_routed_at = event.routed_at
            self.category = event.category or self.category
            self.language = supported_language(event.language) or self.language
        self._place(event.queue, event.assignee, event.routed_at)

    def _resolved(self, event: events.TicketResolved) -> None:
        self._know(event.traveller, event.resolved_at)
        self.channel = self.channel or event.channel
        if self.opened_at is None:
            self._set_opened(event.opened_at)
        self.first_response_at = _earliest(self.first_response_at, event.first_response_at)
        resolution = ResolutionFact(
            number=event.resolution_count,
            at=event.resolved_at,
            by=event.resolved_by,
            code=event.resolution_code,
        )
        self.resolutions = sorted(
            [*(r for r in self.resolutions if r.number != resolution.number), resolution],
            key=lambda r: r.number,
        )

    def _place(self, queue: str | None, assignee: str | None, at: datetime) -> None:
        self._touch(at)
        if self.placed_at is None or at >= self.placed_at:
            self.placed_at = at
            self.queue = queue or self.queue
            self.assignee = assignee

    def _set_opened(self, at: datetime) -> None:
        self.opened_at = at
        self.opened_ms = epoch_ms(at)
        self.buckets = Buckets.of(at)
        self._touch(at)
        self._refresh_last_contact()

    def _contact(self, at: datetime, channel: Channel) -> None:
        if all(c.at != at or c.channel != channel for c in self.contacts):
            contact = ContactFact(at=at, channel=channel, buckets=Buckets.of(at))
            self.contacts = sorted([*self.contacts, contact], key=lambda c: (c.at, c.channel))
        self._refresh_last_contact()

    def _refresh_last_contact(self) -> None:
        times = [epoch_ms(c.at) for c in self.contacts]
        if self.opened_ms is not None:
            times.append(self.opened_ms)
        self.last_contact_ms = max(times) if times else None

    def _know(self, traveller: Traveller, at: datetime) -> None:
        self.traveller = self.traveller or traveller
        self._touch(at)

    def _touch(self, at: datetime) -> None:
        self.last_event_ms = max(self.last_event_ms, epoch_ms(at))

    # -- what the facts say

    @property
    def latest_resolution(self) -> ResolutionFact | None:
        return max(self.resolutions, key=lambda r: r.at) if self.resolutions else None

    @property
    def resolved_at(self) -> datetime | None:
        """When the ticket was resolved for good: None while reopened or if never resolved."""
        latest = self.latest_resolution
        if latest is None or self.merged_into:
            return None
        if self.reopens and self.reopens[-1] >= latest.at:
            return None
        return latest.at

    @property
    def initial_priority(self) -> Priority | None:
        return self.first_routed_priority or self.opened_priority

    @property
    def agent(self) -> str | None:
        """Who closed the loop: the last resolver, else whoever holds the ticket."""
        latest = self.latest_resolution
        return latest.by if latest else self.assignee

    def resolver_of(self, resolution: int | None) -> str | None:
        found = next((r for r in self.resolutions if r.number == resolution), None)
        return found.by if found else self.agent


# ---------------------------------------------------------------------- metrics


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


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class Csat(BaseModel):
    count: int
    avg: float | None
    satisfied_share: float | None
    """Share of ratings of 4 or 5 (the usual CSAT %)."""


class Nps(BaseModel):
    count: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    """% promoters (9–10) minus % detractors (0–6), from −100 to 100."""


class Bot(BaseModel):
    answered: int
    answer_rate: float | None
    reopened: int
    reopen_rate: float | None


class Appeals(BaseModel):
    filed: int
    second: int
    decided: int
    tickets: int
    rate: float | None
    """Appealed tickets of tickets resolved at least once."""


class Metrics(BaseModel):
    tickets: int
    resolved: int
    open: int
    closed_unresolved: int
    merged: int
    first_contact_resolution_rate: float | None
    first_response_time_s: Stat
    resolution_time_s: Stat
    csat: Csat
    nps: Nps
    contacts: int
    repeat_contacts: int
    repeat_contact_rate: float | None
    bot: Bot
    sla: Sla
    appeals: Appeals
    critical_resolved_in_10m: Share


DIMENSIONS = (
    "channel",
    "priority",
    "category",
    "language",
    "queue",
    "agent",
    "supplier",
    "hour",
    "day",
    "week",
)
"""What ``by=`` may slice on; the time buckets are UTC."""


class Group(BaseModel):
    key: dict[str, str]
    metrics: Metrics


class MetricsReport(Metrics):
    by: list[str] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)


class _Accumulator:
    """Counts for one slice; ``result`` turns them into ``Metrics``."""

    def __init__(self) -> None:
        self.tickets = self.resolved = self.closed_unresolved = self.merged = 0
        self.first_contact = 0
        self.frt: list[float] = []
        self.ttr: list[float] = []
        self.csat: list[int] = []
        self.nps: list[int] = []
        self.contacts = self.repeats = 0
        self.bot = self.bot_reopened = 0
        self.sla = SlaTally()
        self.appeals_filed = self.appeals_second = self.appeals_decided = 0
        self.appealed = self.ever_resolved = 0
        self.critical_in_time = self.critical_decided = 0

    def ticket(self, fact: TicketFacts, now: datetime) -> None:
        if fact.merged_into:
            self.merged += 1
            return
        assert fact.opened_at is not None
        self.tickets += 1
        resolved_at = fact.resolved_at
        if resolved_at is not None:
            self.resolved += 1
            self.ttr.append((resolved_at - fact.opened_at).total_seconds())
            if not fact.reopens and len(fact.contacts) <= 1 and not fact.appeals:
                self.first_contact += 1
        elif fact.closed_at is not None:
            self.closed_unresolved += 1
        if fact.first_response_at is not None:
            self.frt.append((fact.first_response_at - fact.opened_at).total_seconds())
        if fact.bot_answered_at is not None:
            self.bot += 1
            self.bot_reopened += any(at >= fact.bot_answered_at for at in fact.reopens)
        if fact.resolutions:
            self.ever_resolved += 1
        if fact.appeals:
            self.appealed += 1
            self.appeals_filed += len(fact.appeals)
            self.appeals_second += sum(a.number == 2 for a in fact.appeals)
            self.appeals_decided += sum(a.decided_at is not None for a in fact.appeals)
        if fact.initial_priority is Priority.CRITICAL:
            deadline = fact.opened_at + CRITICAL_TARGET
            if resolved_at is not None and resolved_at <= deadline:
                self.critical_in_time += 1
                self.critical_decided += 1
            elif resolved_at is not None or now > deadline:
                self.critical_decided += 1

    def rating(self, rating: RatingFact) -> None:
        if rating.csat is not None:
            self.csat.append(rating.csat)
        if rating.nps is not None:
            self.nps.append(rating.nps)

    def contact(self, repeat: bool) -> None:
        self.contacts += 1
        self.repeats += repeat

    def result(self) -> Metrics:
        promoters = sum(n >= 9 for n in self.nps)
        detractors = sum(n <= 6 for n in self.nps)
        return Metrics(
            tickets=self.tickets,
            resolved=self.resolved,
            open=self.tickets - self.resolved - self.closed_unresolved,
            closed_unresolved=self.closed_unresolved,
            merged=self.merged,
            first_contact_resolution_rate=_rate(self.first_contact, self.resolved),
            first_response_time_s=Stat.of(self.frt),
            resolution_time_s=Stat.of(self.ttr),
            csat=Csat(
                count=len(self.csat),
                avg=round(sum(self.csat) / len(self.csat), 3) if self.csat else None,
                satisfied_share=_rate(sum(r >= 4 for r in self.csat), len(self.csat)),
            ),
            nps=Nps(
                count=len(self.nps),
                promoters=promoters,
                passives=len(self.nps) - promoters - detractors,
                detractors=detractors,
                score=round(100 * (promoters - detractors) / len(self.nps), 1)
                if self.nps
                else None,
            ),
            contacts=self.contacts,
            repeat_contacts=self.repeats,
            repeat_contact_rate=_rate(self.repeats, self.contacts),
            bot=Bot(
                answered=self.bot,
                answer_rate=_rate(self.bot, self.tickets),
                reopened=self.bot_reopened,
                reopen_rate=_rate(self.bot_reopened, self.bot),
            ),
            sla=self.sla.result(),
            appeals=Appeals(
                filed=self.appeals_filed,
                second=self.appeals_second,
                decided=self.appeals_decided,
                tickets=self.appealed,
                rate=_rate(self.appealed, self.ever_resolved),
            ),
            critical_resolved_in_10m=Share.of_counts(self.critical_in_time, self.critical_decided),
        )


def _slice(
    fact: TicketFacts,
    by: Sequence[str],
    *,
    buckets: Buckets | None = None,
    channel: Channel | None = None,
    agent: str | None = None,
    priority: Priority | None = None,
    category: str | None = None,
) -> tuple[str, ...]:
    """The slice a ticket (or one of its contacts, ratings or SLA clocks) falls in."""
    when = buckets or fact.buckets
    values = {
        "channel": (channel or fact.channel or "unknown"),
        "priority": priority or fact.initial_priority or "unknown",
        "category": category or fact.category or fact.category_hint or "unknown",
        "language": fact.language or "unknown",
        "queue": fact.queue or "unrouted",
        "agent": agent or fact.agent or "unassigned",
        "supplier": fact.supplier or "unknown",
        "hour": when.hour if when else "unknown",
        "day": when.day if when else "unknown",
        "week": when.week if when else "unknown",
    }
    return tuple(str(values[dimension]) for dimension in by)


def _add_sla(
    fact: TicketFacts,
    by: Sequence[str],
    add: Callable[[tuple[str, ...]], list[_Accumulator]],
) -> None:
    """Each stopped clock counts at its own priority and category, each breach at the
    priority whose target it missed."""
    for clock in fact.sla_clocks:
        for acc in add(_slice(fact, by, priority=clock.priority, category=clock.category)):
            acc.sla.clock(clock)
    for breach in fact.sla_breaches:
        key = _slice(fact, by, priority=breach.previous_priority, category=breach.category)
        for acc in add(key):
            acc.sla.breach(fact.id)


def repeat_flags(
    contacts: Sequence[tuple[datetime, str, Sequence[str]]], window: timedelta = REPEAT_WINDOW
) -> list[bool]:
    """For each (time, traveller, booking references) in time order: a repeat contact?

    A contact repeats one by the same traveller, or about a shared booking,
    within ``window`` before it — whatever the channel or ticket.
    """
    last_by_key: dict[str, datetime] = {}
    flags: list[bool] = []
    for at, traveller, references in contacts:
        keys = [f"t:{traveller}", *(f"r:{r}" for r in references)]
        flags.append(any(k in last_by_key and at - last_by_key[k] <= window for k in keys))
        for key in keys:
            last_by_key[key] = at
    return flags


def compute_metrics(
    facts: Iterable[TicketFacts],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    by: Sequence[str] = (),
) -> MetricsReport:
    """Metrics of the tickets opened in [start, end) and of the contacts made in it.

    ``facts`` may include older tickets (their contacts let the repeat-contact
    rate look back ``REPEAT_WINDOW``); they count only where they fall in the window.
    """
    overall = _Accumulator()
    groups: dict[tuple[str, ...], _Accumulator] = defaultdict(_Accumulator)

    def add(key: tuple[str, ...]) -> list[_Accumulator]:
        return [overall, groups[key]] if by else [overall]

    contacts: list[tuple[datetime, str, TicketFacts, ContactFact]] = []
    for fact in facts:
        if fact.opened_at is None:
            continue
        if start <= fact.opened_at < end:
            for acc in add(_slice(fact, by)):
                acc.ticket(fact, now)
            for rating in fact.ratings:
                agent = fact.resolver_of(rating.resolution)
                for acc in add(_slice(fact, by, agent=agent)):
                    acc.rating(rating)
            if not fact.merged_into:
                _add_sla(fact, by, add)
        for contact in fact.contacts:
            contacts.append((contact.at, fact.id, fact, contact))
    contacts.sort(key=lambda c: (c[0], c[1], c[3].channel))
    flags = repeat_flags(
        [(at, f.traveller.id if f.traveller else f.id, f.references) for at, _, f, _ in contacts]
    )
    for (at, _, fact, contact), repeat in zip(contacts, flags, strict=True):
        if start <= at < end:
            key = _slice(fact, by, buckets=contact.buckets, channel=contact.channel)
            for acc in add(key):
                acc.contact(repeat)
    report = MetricsReport(**overall.result().model_dump(), by=list(by))
    report.groups = [
        Group(key=dict(zip(by, key, strict=True)), metrics=acc.result())
        for key, acc in sorted(groups.items())
    ]
    return report


# ----------------------------------------------------------------------- trends


class Trend(BaseModel):
    category: str
    count: int
    previous: int
    change: float | None
    """Relative change against the previous period (0.15 = +15 %); None when it had none."""


def category_trends(current: Counter[str], previous: Counter[str], *, top: int = 5) -> list[Trend]:
    """The most frequent categories now, each with its change on the previous period."""
    ranked = sorted(current.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [
        Trend(
            category=category,
            count=count,
            previous=previous.get(category, 0),
            change=round(count / previous[category] - 1, 4) if previous.get(category) else None,
        )
        for category, count in ranked
    ]
