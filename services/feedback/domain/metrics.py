"""The desk's metrics over a window, overall and per slice, computed from the facts. Pure.

Metrics are computed in Python (percentiles included) because the local store
does not evaluate ``$percentile``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from contracts.events import Channel, Priority
from services.feedback.domain.buckets import Buckets, zone_of
from services.feedback.domain.facts import (
    AppealFact,
    ContactFact,
    RatingFact,
    TicketFacts,
)
from services.feedback.domain.repeat_contacts import repeat_flags
from services.feedback.domain.sla import Share, Sla, SlaTally, verdicts

CRITICAL_TARGET = timedelta(minutes=10)


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
"""What ``by=`` may slice on; the time buckets are in each ticket's business zone."""


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
        if fact.initial_priority is Priority.CRITICAL:
            self._critical(fact.opened_at, resolved_at, now)

    def appeals(self, resolved: bool, appeals: Sequence[AppealFact]) -> None:
        """A ticket (resolved at least once, or not) and the appeals it had."""
        self.ever_resolved += resolved
        if appeals:
            self.appealed += 1
            self.appeals_filed += len(appeals)
            self.appeals_second += sum(a.number == 2 for a in appeals)
            self.appeals_decided += sum(a.decided_at is not None for a in appeals)

    def _critical(self, opened_at: datetime, resolved_at: datetime | None, now: datetime) -> None:
        """A critical ticket counts once it is resolved or its 10 minutes are up."""
        deadline = opened_at + CRITICAL_TARGET
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


_TIMES = frozenset({"hour", "day", "week"})


def _slice(
    fact: TicketFacts,
    by: Sequence[str],
    *,
    at: datetime | None = None,
    channel: Channel | None = None,
    agent: str | None = None,
    priority: Priority | None = None,
    category: str | None = None,
) -> tuple[str, ...]:
    """The slice a ticket (or one of its contacts, ratings or SLA clocks) falls in: a contact
    at its own time (``at``), the rest at the opening, in the ticket's business zone."""
    moment = at or fact.opened_at
    timed = not _TIMES.isdisjoint(by)
    when = Buckets.of(moment, zone_of(fact.business_time_zone)) if moment and timed else None
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
    """Each stopped clock counts at its own priority and category, and each breach with its
    clock (``verdicts``): one clock's stop and breaches fall in one slice, and a breached
    clock counts missed there, stopped or not. A merged duplicate's count as they happened."""
    merged_at = fact.closed_at if fact.merged_into else None
    clocks, breaches = verdicts(fact.sla_clocks, fact.sla_breaches, merged_at)
    for clock in clocks:
        for acc in add(_slice(fact, by, priority=clock.priority, category=clock.category)):
            acc.sla.clock(clock)
    for breach, running in breaches:
        key = _slice(fact, by, priority=breach.ran_under, category=breach.category)
        for acc in add(key):
            acc.sla.breach(fact.id, breach.clock, running=running)


def _add_appeals(
    fact: TicketFacts, by: Sequence[str], add: Callable[[tuple[str, ...]], list[_Accumulator]]
) -> None:
    """Overall, once per ticket. By agent, an appeal counts against the resolver of the
    resolution it appealed (as a rating does), and a ticket is "resolved" for each agent who
    resolved it: the reviewer who decided the appeal is not charged with it."""
    if "agent" not in by:
        for acc in add(_slice(fact, by)):
            acc.appeals(bool(fact.resolutions), fact.appeals)
        return
    add(_slice(fact, by))[0].appeals(bool(fact.resolutions), fact.appeals)  # overall
    resolvers = {r.by for r in fact.resolutions}
    against = {a.appeal_id: fact.resolver_of(a.resolution) or "unassigned" for a in fact.appeals}
    for agent in sorted(resolvers | set(against.values())):
        theirs = [a for a in fact.appeals if against[a.appeal_id] == agent]
        for acc in add(_slice(fact, by, agent=agent))[1:]:
            acc.appeals(agent in resolvers, theirs)


def _add_ticket(
    fact: TicketFacts,
    by: Sequence[str],
    now: datetime,
    add: Callable[[tuple[str, ...]], list[_Accumulator]],
) -> None:
    """A ticket opened in the window: its own counts, its ratings and appeals (by resolver),
    its clocks."""
    for acc in add(_slice(fact, by)):
        acc.ticket(fact, now)
    if not fact.merged_into:
        _add_appeals(fact, by, add)
    for rating in fact.ratings:
        agent = fact.resolver_of(rating.resolution)
        for acc in add(_slice(fact, by, agent=agent)):
            acc.rating(rating)
    _add_sla(fact, by, add)


def _add_contacts(
    facts: list[TicketFacts],
    by: Sequence[str],
    start: datetime,
    end: datetime,
    add: Callable[[tuple[str, ...]], list[_Accumulator]],
) -> None:
    """The contacts made in the window, each a repeat or not given every earlier contact."""
    contacts: list[tuple[datetime, str, TicketFacts, ContactFact]] = [
        (contact.at, fact.id, fact, contact) for fact in facts for contact in fact.contacts
    ]
    contacts.sort(key=lambda c: (c[0], c[1], c[3].channel))
    flags = repeat_flags(
        [
            (at, f.traveller.id if f.traveller else f.id, f.booking_references)
            for at, _, f, _ in contacts
        ]
    )
    for (at, _, fact, contact), repeat in zip(contacts, flags, strict=True):
        if start <= at < end:
            key = _slice(fact, by, at=contact.at, channel=contact.channel)
            for acc in add(key):
                acc.contact(repeat)


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

    with_contacts: list[TicketFacts] = []
    for fact in facts:
        if fact.opened_at is None:
            continue
        if start <= fact.opened_at < end:
            _add_ticket(fact, by, now, add)
        if fact.contacts:
            with_contacts.append(fact)
    _add_contacts(with_contacts, by, start, end, add)
    report = MetricsReport(**overall.result().model_dump(), by=list(by))
    report.groups = [
        Group(key=dict(zip(by, key, strict=True)), metrics=acc.result())
        for key, acc in sorted(groups.items())
    ]
    return report
