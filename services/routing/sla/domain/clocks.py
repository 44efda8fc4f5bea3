"""SLA clocks (issue #7): each run of a clock on a case, its pauses, timers and stop. Pure.

A tenant's policy gives, per priority, the targets of each clock (first response,
next response, resolution, and the supplier chase), the share of a target at
which a warning fires, and the calendar that counts time: 24/7, or business
hours in an IANA time zone with holidays. A case keeps one ``ClockRun`` per
clock; pauses are kept as intervals, so a deadline is always recomputed from
the start, the target, the calendar and the pauses (``deadline``), never
accumulated by hand. The rules are in docs/sla.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, Field

from contracts import events
from contracts.events import CarriedClock, Priority, SlaClock, SlaVerdict
from services.routing.sla.domain.calendars import ALWAYS, Calendar, Pause, deadline, elapsed
from services.routing.sla.domain.policies import DEFAULT_SLA, SlaPolicy, Tier, calendar_for

CUSTOMER_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE, SlaClock.RESOLUTION)
RESPONSE_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE)


class TimerKind(StrEnum):
    WARN = "warn"
    BREACH = "breach"


class Timer(NamedTuple):
    """A moment a clock must be looked at again: its warning or its deadline."""

    clock: SlaClock
    kind: TimerKind
    generation: int
    due: datetime


class ClockRun(BaseModel):
    """One run of one clock: started, maybe paused, stopped once: met, missed or void."""

    clock: SlaClock
    generation: int = Field(description="Distinguishes this run's timers from an earlier run's.")
    target_s: int
    priority: Priority | None = Field(
        default=None,
        description="The priority whose targets it runs on (its start's, or that of a raise "
        "that retargeted it; a breach does not): what it counts at. None: stored before runs "
        "kept it.",
    )
    warn_share: float
    calendar: Calendar = ALWAYS
    started_at: datetime
    pauses: list[Pause] = Field(default_factory=list)
    stopped_at: datetime | None = None
    met: bool | None = None
    """None while running, and for a void run."""
    void: bool = False
    """Stopped by a close or merge before anyone answered: neither met nor missed."""
    elapsed_s: float | None = Field(default=None, description="Counted time, once stopped.")
    warned: bool = False
    breached: bool = False
    deadline: datetime | None = Field(default=None, description="None while paused or stopped.")
    warn_at: datetime | None = None
    carried_from: CarriedClock | None = Field(
        default=None,
        description="A merged duplicate's wait this run carries on (docs/sla.md#merges): its "
        "events say so, so feedback counts the one wait once.",
    )
    raised_at: datetime | None = None
    """When a priority change last retargeted it (``retarget``)."""
    counted_before_s: float = 0.0
    """Counted time before ``raised_at``, on the terms it had then."""
    allowed_s: float | None = None
    """Counted time it may take in all once retargeted (docs/sla.md); None: ``target_s``."""

    @property
    def allowed(self) -> float:
        """Counted seconds from its start to its deadline."""
        return self.target_s if self.allowed_s is None else self.allowed_s

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].end is None

    def refresh(self) -> None:
        """Recompute the deadline and the warning instant from the terms and the pauses."""
        if self.stopped or self.paused:
            self.deadline = self.warn_at = None
            return
        since, left = self.raised_at or self.started_at, self.allowed - self.counted_before_s
        self.deadline = deadline(since, left, self.calendar, self.pauses)
        self.warn_at = deadline(since, left * self.warn_share, self.calendar, self.pauses)

    def pause(self, now: datetime, reason: str) -> None:
        if not self.stopped and not self.paused:
            self.pauses.append(Pause(start=now, reason=reason))
            self.refresh()

    def resume(self, now: datetime) -> None:
        if not self.stopped and self.paused:
            self.pauses[-1].end = max(now, self.pauses[-1].start)
            self.refresh()

    def elapsed(self, now: datetime) -> float:
        """Counted time to ``now``: since a retarget on its terms, before it as counted then."""
        until = self.stopped_at or now
        if self.raised_at is None or until < self.raised_at:
            return elapsed(self.started_at, until, self.calendar, self.pauses)
        return self.counted_before_s + elapsed(self.raised_at, until, self.calendar, self.pauses)

    def stop(self, now: datetime, *, void: bool = False) -> None:
        """End the run; met if the counted time stayed within the target (a breach never is).

        ``void``: nobody answered before a close or merge ended it, so there is no verdict,
        unless its deadline had already passed (a breach stays missed)."""
        self.resume(now)
        self.stopped_at = max(now, self.started_at)
        self.elapsed_s = self.elapsed(self.stopped_at)
        self.void = void and not self.breached
        self.met = None if self.void else not self.breached and self.elapsed_s <= self.allowed
        self.refresh()

    @property
    def verdict(self) -> SlaVerdict | None:
        if not self.stopped:
            return None
        if self.void:
            return SlaVerdict.VOID
        return SlaVerdict.MET if self.met else SlaVerdict.MISSED

    def ran_under(self, case_priority: Priority) -> Priority:
        """The priority this run counts at (docs/sla.md): its own; a run stored before runs
        kept theirs takes the case's, as its events did then."""
        return self.priority or case_priority

    def stopped_event(
        self, ticket_id: str, category: str | None, *, case_priority: Priority
    ) -> events.SlaClockStopped:
        """This run, once stopped, as feedback's SLA attainment reads it: at the priority it
        ran under, not the case's now (a breach raised that, not the run's targets)."""
        assert self.stopped_at is not None
        return events.SlaClockStopped(
            ticket_id=ticket_id,
            clock=self.clock,
            priority=self.ran_under(case_priority),
            category=category,
            met=self.met is True,
            verdict=self.verdict,
            target_seconds=round(self.allowed),
            elapsed_seconds=round(self.elapsed_s or 0.0),
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            carried_from=self.carried_from,
        )

    def retarget(
        self, priority: Priority, target_s: int, warn_share: float, calendar: Calendar, at: datetime
    ) -> None:
        """Take another priority's terms at ``at``, its target counted from then (from the
        start it could have passed already and breach at once): the deadline only moves
        earlier, never before ``at``, and warns at the warn share of the time left. A run past
        its deadline keeps its terms: its breach was owed on them (docs/sla.md)."""
        at = max(at, self.started_at)
        used = self.elapsed(at)
        if used >= self.allowed:
            return
        left = min(self.allowed - used, target_s)
        self.priority, self.target_s = priority, target_s
        self.warn_share, self.calendar = warn_share, calendar
        self.raised_at, self.counted_before_s, self.allowed_s = at, used, used + left
        self.refresh()

    def timers(self) -> list[Timer]:
        found = []
        if self.warn_at is not None and not self.warned and not self.breached:
            found.append(Timer(self.clock, TimerKind.WARN, self.generation, self.warn_at))
        if self.deadline is not None and not self.breached:
            found.append(Timer(self.clock, TimerKind.BREACH, self.generation, self.deadline))
        return found


class CaseSla(BaseModel):
    """A ticket's clocks, the terms they run on, and how far a breach escalated it."""

    policy: SlaPolicy = DEFAULT_SLA
    """The tenant's policy when the current run started: later edits apply from the next run."""
    tier: Tier = Tier.NEW
    on_trip: bool = False
    clocks: dict[SlaClock, ClockRun] = Field(default_factory=dict)
    generation: int = 0

    def running(self, clock: SlaClock) -> ClockRun | None:
        run = self.clocks.get(clock)
        return run if run is not None and not run.stopped else None

    def due(self, clock: SlaClock) -> datetime | None:
        run = self.running(clock)
        return run.deadline if run else None

    def start_run(
        self,
        policy: SlaPolicy,
        priority: Priority,
        tier: Tier,
        at: datetime,
        *,
        respond: bool,
        on_trip: bool = False,
    ) -> list[ClockRun]:
        """Fresh clocks from ``at`` (opened, reopened, appealed); what was running stops."""
        stopped = self.stop_all(at)
        self.policy, self.tier, self.on_trip = policy, tier, on_trip
        self.clocks = {}
        if respond:
            self._start(SlaClock.FIRST_RESPONSE, priority, at)
        self._start(SlaClock.RESOLUTION, priority, at)
        return stopped

    def retarget(self, priority: Priority, at: datetime) -> None:
        """The priority changed at ``at``: running clocks take its terms (``ClockRun.retarget``)."""
        terms = self.policy.terms(priority)
        targets, calendar = terms.for_tier(self.tier), calendar_for(terms, on_trip=self.on_trip)
        for run in self.clocks.values():
            if not run.stopped:
                run.retarget(priority, targets.of(run.clock), terms.warn_share, calendar, at)

    def responded(self, at: datetime) -> list[ClockRun]:
        """An agent answered: first and next response stop."""
        return self._stop(RESPONSE_CLOCKS, at)

    def resolved(self, first_response_at: datetime, at: datetime) -> list[ClockRun]:
        """Resolved at ``at``: everything stops. The resolution message reaches the traveller,
        so it answers a response clock still running, unless the ticket's first response came
        within that clock's run; a reply from before the run (the first run's, on a reopened
        ticket) answers nothing in it."""
        stopped = []
        for clock in RESPONSE_CLOCKS:
            if run := self.running(clock):
                run.stop(first_response_at if first_response_at >= run.started_at else at)
                stopped.append(run)
        return stopped + self.stop_all(at)

    def closed(self, at: datetime) -> list[ClockRun]:
        """Closed or merged at ``at``: everything stops. A response clock still running was
        never answered, so it is void, and so is the run's resolution when the first
        response was never given (nobody answered the ticket at all); docs/sla.md#verdicts."""
        unanswered = self.running(SlaClock.FIRST_RESPONSE) is not None
        void = [*RESPONSE_CLOCKS, *((SlaClock.RESOLUTION,) if unanswered else ())]
        stopped = []
        for clock in void:
            if run := self.running(clock):
                run.stop(at, void=True)
                stopped.append(run)
        return stopped + self.stop_all(at)

    def traveller_wrote(self, priority: Priority, at: datetime) -> None:
        """Once the first response is out, the traveller's next message starts next response.
        While the ticket waits (on a supplier: intake keeps the wait) it starts paused, as the
        other customer clocks are, and runs when the wait ends (docs/sla.md#clocks)."""
        if self.running(SlaClock.FIRST_RESPONSE) or self.running(SlaClock.NEXT_RESPONSE):
            return
        if SlaClock.RESOLUTION not in self.clocks:
            return
        self._start(SlaClock.NEXT_RESPONSE, priority, at)
        resolution = self.running(SlaClock.RESOLUTION)
        if resolution is not None and resolution.paused:
            self.clocks[SlaClock.NEXT_RESPONSE].pause(at, resolution.pauses[-1].reason)

    def owed_at(self, at: datetime) -> ClockRun | None:
        """The response a close or merge at ``at`` left owed: the earliest-started response
        clock still running, or stopped by that close without an answer (void, or missed)."""
        owed = [
            run
            for clock in RESPONSE_CLOCKS
            if (run := self.clocks.get(clock)) is not None
            and (not run.stopped or (run.stopped_at == at and run.met is not True))
        ]
        return min(owed, key=lambda run: run.started_at, default=None)

    def carry(self, owed: ClockRun, duplicate_id: str, at: datetime) -> bool:
        """A merged duplicate's owed response becomes this case's next response at ``at``,
        as the traveller was told (its start, target, calendar, pauses, and a warning or
        breach already given), unless a response clock here is due no later. True if taken.
        While this case waits it is paused with the others (docs/sla.md#merges). The run is
        marked ``carried_from`` the duplicate (the latest one, when carried on again): one
        wait, whose verdict is the duplicate's if it had already missed there."""
        resolution = self.running(SlaClock.RESOLUTION)
        if resolution is None:
            return False
        carried = owed.model_copy(
            deep=True,
            update={
                "clock": SlaClock.NEXT_RESPONSE,
                "stopped_at": None,
                "met": None,
                "void": False,
                "elapsed_s": None,
                "carried_from": CarriedClock(
                    ticket_id=duplicate_id, clock=owed.clock, missed=owed.breached
                ),
            },
        )
        carried.resume(at)
        due = due_if_running(carried, at)
        mine = [run for clock in RESPONSE_CLOCKS if (run := self.running(clock)) is not None]
        if any(due_if_running(run, at) <= due for run in mine):
            return False
        self.generation += 1
        carried.generation = self.generation
        self.clocks[SlaClock.NEXT_RESPONSE] = carried
        if resolution.paused:
            carried.pause(at, resolution.pauses[-1].reason)
        carried.refresh()
        return True

    def wait(self, on_supplier: bool, priority: Priority, at: datetime) -> list[ClockRun]:
        """Customer clocks pause; waiting on a supplier starts the supplier chase. From another
        wait, they stay paused (a new pause with this wait's reason)."""
        reason = "waiting on supplier" if on_supplier else "waiting on traveller"
        for clock in CUSTOMER_CLOCKS:
            if run := self.running(clock):
                run.resume(at)
                run.pause(at, reason)
        stopped = [] if on_supplier else self._stop((SlaClock.SUPPLIER,), at)
        if on_supplier and not self.running(SlaClock.SUPPLIER):
            self._start(SlaClock.SUPPLIER, priority, at)
        return stopped

    def resume(self, at: datetime) -> list[ClockRun]:
        """The wait is over: customer clocks run on, the supplier chase ends."""
        for clock in CUSTOMER_CLOCKS:
            if run := self.running(clock):
                run.resume(at)
        return self._stop((SlaClock.SUPPLIER,), at)

    def stop_all(self, at: datetime) -> list[ClockRun]:
        return self._stop(tuple(self.clocks), at)

    def timers(self) -> list[Timer]:
        return [timer for run in self.clocks.values() for timer in run.timers()]

    def pending(self, clock: SlaClock, kind: TimerKind, generation: int, now: datetime) -> bool:
        """Whether this timer is still owed and its moment has come."""
        timer = next(
            (
                t
                for t in self.timers()
                if (t.clock, t.kind, t.generation) == (clock, kind, generation)
            ),
            None,
        )
        return timer is not None and timer.due <= now

    def _start(self, clock: SlaClock, priority: Priority, at: datetime) -> None:
        terms = self.policy.terms(priority)
        self.generation += 1
        run = ClockRun(
            clock=clock,
            generation=self.generation,
            target_s=terms.for_tier(self.tier).of(clock),
            priority=priority,
            warn_share=terms.warn_share,
            calendar=calendar_for(terms, on_trip=self.on_trip),
            started_at=at,
        )
        run.refresh()
        self.clocks[clock] = run

    def _stop(self, clocks: Sequence[SlaClock], at: datetime) -> list[ClockRun]:
        stopped = []
        for clock in clocks:
            if run := self.running(clock):
                run.stop(at)
                stopped.append(run)
        return stopped


def due_if_running(run: ClockRun, at: datetime) -> datetime:
    """The run's deadline were it running from ``at`` on (a paused run's is None)."""
    probe = run.model_copy(deep=True)
    probe.resume(at)
    probe.refresh()
    assert probe.deadline is not None
    return probe.deadline
