"""SLA attainment and breaches in feedback's read model, built from routing's SLA events. Pure.

Routing owns the clocks (issue #7): ``sla.stopped`` says whether a clock met
its target, missed it, or is void (closed or merged before anyone answered:
no verdict, left out of attainment, counted apart), ``sla.breached`` that one
ran out and the ticket was escalated — routing's verdict that the clock missed, so a
breached clock counts missed even before it stops.
A wait routing carried from a merged duplicate to the ticket it joined (``carried_from``)
is judged once: by the duplicate's stop at the merge if it had already missed there, else by
the carried clock.
Feedback keeps both on the ticket's facts, keyed on what the events carry, so
any order and any number of deliveries give the same facts, and counts them
per slice (priority and category are the clock's own, see docs/feedback.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from contracts import events
from contracts.events import CarriedClock, EscalationLevel, Priority, SlaClock, SlaVerdict

DESK_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE, SlaClock.RESOLUTION)
"""The clocks the desk answers for; the supplier clock measures a partner and is kept apart."""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class Share(BaseModel):
    """``part`` of ``of`` — e.g. SLA clocks met of those stopped."""

    part: int
    of: int
    rate: float | None

    @classmethod
    def of_counts(cls, part: int, whole: int) -> Share:
        return cls(part=part, of=whole, rate=_rate(part, whole))


class ClockFact(BaseModel):
    """One clock that stopped: met, missed or void, at the priority and category it ran
    under."""

    clock: SlaClock
    priority: Priority
    category: str | None
    met: bool
    verdict: SlaVerdict | None = None
    target_seconds: int
    elapsed_seconds: int
    started_at: datetime
    stopped_at: datetime
    carried_from: CarriedClock | None = None
    """A merged duplicate's wait, carried here by routing; None on older events and facts."""

    @classmethod
    def of(cls, event: events.SlaClockStopped) -> ClockFact:
        return cls.model_validate(event.model_dump(include=set(cls.model_fields)))

    @property
    def void(self) -> bool:
        """No verdict: an older event (no ``verdict``) is met or missed as ``met`` says."""
        return self.verdict is SlaVerdict.VOID

    @property
    def missed(self) -> bool:
        return not self.void and not self.met

    @property
    def judged_on_duplicate(self) -> bool:
        """A carried wait that had already missed on its duplicate: the duplicate's stop at
        the merge (``missed``, and counted there) is its verdict, so this one is not a second."""
        return self.carried_from is not None and self.carried_from.missed

    @property
    def key(self) -> tuple[str, datetime]:
        """A clock runs once from a start: a second stop of the same run is the same fact."""
        return self.clock.value, self.started_at


class BreachFact(BaseModel):
    """One escalation after a clock ran out; it missed the target of the priority it ran
    under (``ran_under``)."""

    clock: SlaClock
    level: EscalationLevel
    priority: Priority
    previous_priority: Priority
    clock_priority: Priority | None = None
    """The clock's own; None on older events and facts."""
    category: str | None
    deadline: datetime
    breached_at: datetime

    @classmethod
    def of(cls, event: events.SlaBreached) -> BreachFact:
        return cls.model_validate(event.model_dump(include=set(cls.model_fields)))

    @property
    def ran_under(self) -> Priority:
        """The clock's priority; an older event's ``previous_priority`` stands in for it."""
        return self.clock_priority or self.previous_priority

    @property
    def key(self) -> tuple[str, datetime, str]:
        return self.clock.value, self.deadline, self.level.value


def merge_clock(known: Sequence[ClockFact], stopped: events.SlaClockStopped) -> list[ClockFact]:
    """Add a stopped clock; of two stops of one run the later one stands, whatever the order."""
    fact = ClockFact.of(stopped)
    same = [c for c in known if c.key == fact.key]
    winner = max([*same, fact], key=lambda c: (c.stopped_at, c.elapsed_seconds, c.met))
    others = [c for c in known if c.key != fact.key]
    return sorted([*others, winner], key=lambda c: c.key)


def merge_breach(known: Sequence[BreachFact], breached: events.SlaBreached) -> list[BreachFact]:
    """Add a breach once: the same clock, deadline and escalation level is the same breach."""
    fact = BreachFact.of(breached)
    if any(b.key == fact.key for b in known):
        return list(known)
    return sorted([*known, fact], key=lambda b: (b.breached_at, *b.key))


def _run_of(breach: BreachFact, clocks: Sequence[ClockFact]) -> ClockFact | None:
    """The stopped run a breach belongs to: its clock, running when its deadline passed."""
    return next(
        (
            c
            for c in clocks
            if c.clock is breach.clock and c.started_at <= breach.deadline <= c.stopped_at
        ),
        None,
    )


def verdicts(
    clocks: Sequence[ClockFact], breaches: Sequence[BreachFact], merged_at: datetime | None
) -> tuple[list[ClockFact], list[tuple[BreachFact, bool]]]:
    """The stops that judge this ticket, and its breaches placed in their clock's slice, each
    with whether it stands for its clock, missed, until that clock's stop arrives (the first
    breach of a run not stopped yet: routing never calls a breached clock met).

    A breach decides its clock, so attainment never counts met, void or not at all a clock
    whose breach the same figures count, and a breach falls in its clock's priority and
    category (an older event's ``previous_priority`` is the one an earlier level raised). On
    a duplicate merged at ``merged_at``, what the merge stopped within its target is no
    verdict: the traveller's unanswered message goes on waiting on the ticket it joined
    (routing carries the clock there) and the resolution is that ticket's. An answer given
    on the duplicate before the merge stands, on time or late, and so does a clock that had
    already missed: a merge, like a close, cannot hide a late answer. That missed clock is
    then the carried wait's one verdict, and the clock routing carried it on as on the ticket
    it joined is left out (``judged_on_duplicate``): one wait is one miss, not two."""
    clocks = [c for c in clocks if not c.judged_on_duplicate]
    breached: set[tuple[str, datetime]] = set()
    first: dict[tuple[str, datetime], BreachFact] = {}
    placed: list[tuple[BreachFact, bool]] = []
    for breach in breaches:
        run = _run_of(breach, clocks)
        if run is not None:
            breached.add(run.key)
            where, opens = {"clock_priority": run.priority, "category": run.category}, False
        else:
            lead = first.setdefault((breach.clock.value, breach.deadline), breach)
            where = {"clock_priority": lead.ran_under, "category": lead.category}
            opens = lead is breach
        placed.append((breach.model_copy(update=where), opens))
    missed = {"met": False, "verdict": SlaVerdict.MISSED}
    judged = [c.model_copy(update=missed) if c.key in breached else c for c in clocks]
    if merged_at is not None:
        judged = [c for c in judged if c.stopped_at < merged_at or c.missed]
    return judged, placed


class Sla(BaseModel):
    attainment: Share
    """Desk clocks (first response, next response, resolution) met ÷ stopped, void ones
    left out."""
    first_response: Share
    next_response: Share
    resolution: Share
    supplier: Share
    """Waits on a supplier that stayed within their target: the partner's SLA, not the desk's."""
    void: int = 0
    """Desk clocks stopped by a close or merge before anyone answered: no verdict, so not in
    attainment, but counted so that closing tickets unanswered shows."""
    breaches: int
    """Escalations after a clock ran out (one clock may escalate level after level)."""
    breached_tickets: int
    """Tickets with at least one breach."""


class SlaTally:
    """SLA counts for one slice of the metrics."""

    def __init__(self) -> None:
        self.met: Counter[SlaClock] = Counter()
        self.stopped: Counter[SlaClock] = Counter()
        self.void: Counter[SlaClock] = Counter()
        self.breaches = 0
        self.breached_tickets: set[str] = set()

    def clock(self, fact: ClockFact) -> None:
        if fact.void:
            self.void[fact.clock] += 1
            return
        self.stopped[fact.clock] += 1
        self.met[fact.clock] += fact.met

    def breach(self, ticket_id: str, clock: SlaClock, *, running: bool) -> None:
        """A breach; of a clock not stopped yet (``running``), also that clock, missed."""
        self.breaches += 1
        self.breached_tickets.add(ticket_id)
        self.stopped[clock] += running

    def result(self) -> Sla:
        def share(*clocks: SlaClock) -> Share:
            return Share.of_counts(
                sum(self.met[c] for c in clocks), sum(self.stopped[c] for c in clocks)
            )

        return Sla(
            attainment=share(*DESK_CLOCKS),
            first_response=share(SlaClock.FIRST_RESPONSE),
            next_response=share(SlaClock.NEXT_RESPONSE),
            resolution=share(SlaClock.RESOLUTION),
            supplier=share(SlaClock.SUPPLIER),
            void=sum(self.void[c] for c in DESK_CLOCKS),
            breaches=self.breaches,
            breached_tickets=len(self.breached_tickets),
        )
