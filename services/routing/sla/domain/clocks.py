"""SLA policies, calendars and clocks (issue #7). Pure: every instant is passed in.

A tenant's policy gives, per priority, the targets of each clock (first response,
next response, resolution, and the supplier chase), the share of a target at
which a warning fires, and the calendar that counts time: 24/7, or business
hours in an IANA time zone with holidays. A case keeps one ``ClockRun`` per
clock; pauses are kept as intervals, so a deadline is always recomputed from
the start, the target, the calendar and the pauses (``deadline``), never
accumulated by hand. The rules are in docs/sla.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from contracts.events import Priority, SlaClock

MAX_CALENDAR_DAYS = 3 * 366
MAX_TARGET_S = 366 * 24 * 3600
"""A target of more than a year is a typo (2**63 seconds overflowed the clock arithmetic)."""
"""How far a deadline may be looked for: holidays are capped at a year's worth of days."""
CUSTOMER_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE, SlaClock.RESOLUTION)


def utc(moment: datetime) -> datetime:
    """Arithmetic only in UTC: Python subtracts wall clocks when both sides share a zone."""
    return moment.astimezone(UTC)


# ---------------------------------------------------------------- calendars


class BusinessHours(BaseModel):
    """Working days and one daily window in a time zone; holidays are local dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = Field(
        default="UTC", max_length=64, description="IANA name, e.g. Asia/Shanghai."
    )
    days: tuple[Annotated[int, Field(ge=1, le=7)], ...] = Field(
        default=(1, 2, 3, 4, 5), min_length=1, max_length=7, description="ISO weekdays, 1 = Monday."
    )
    opens: time = time(9)
    closes: time = time(18)
    holidays: tuple[date, ...] = Field(default=(), max_length=366)

    @field_serializer("opens", "closes")
    def _time_text(self, value: time) -> str:
        """ISO text, also in the store: BSON has no time-of-day (nor date) type."""
        return value.isoformat()

    @field_serializer("holidays")
    def _dates_text(self, value: tuple[date, ...]) -> tuple[str, ...]:
        return tuple(day.isoformat() for day in value)

    def yearly_seconds(self) -> float:
        """Working seconds in a year at most (holidays off): what a target may ask for."""
        window = (
            datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        ).total_seconds()
        return (52 * len(self.days) - len(self.holidays)) * window

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("days")
    @classmethod
    def iso_weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 1 or day > 7 for day in value) or len(set(value)) != len(value):
            raise ValueError("days are distinct ISO weekdays, 1 (Monday) to 7 (Sunday)")
        return tuple(sorted(value))

    @model_validator(mode="after")
    def window(self) -> BusinessHours:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are local times, without an offset")
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class Calendar(BaseModel):
    """What time counts: all of it (24/7), or only business hours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    business_hours: BusinessHours | None = Field(default=None, description="None: 24/7.")

    @property
    def always(self) -> bool:
        return self.business_hours is None

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Counted intervals (UTC) from ``start`` on, in order, clipped at ``start``."""
        start = utc(start)
        hours = self.business_hours
        if hours is None:
            yield start, datetime.max.replace(tzinfo=UTC)
            return
        zone = ZoneInfo(hours.time_zone)
        day = start.astimezone(zone).date()
        for _ in range(MAX_CALENDAR_DAYS):
            if day.isoweekday() in hours.days and day not in hours.holidays:
                opens = utc(datetime.combine(day, hours.opens, zone))
                closes = utc(datetime.combine(day, hours.closes, zone))
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)
        raise ValueError(f"no working time within {MAX_CALENDAR_DAYS} days")

    def counted(self, start: datetime, end: datetime) -> float:
        """Seconds of counted time between two instants."""
        start, end = utc(start), utc(end)
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds()
        total = 0.0
        for opens, closes in self.windows(start):
            if opens >= end:
                break
            total += (min(closes, end) - opens).total_seconds()
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which ``seconds`` of counted time have passed since ``start``."""
        start = utc(start)
        if self.always or seconds <= 0:
            return start + timedelta(seconds=max(seconds, 0.0))
        remaining = seconds
        for opens, closes in self.windows(start):
            length = (closes - opens).total_seconds()
            if remaining <= length:
                return opens + timedelta(seconds=remaining)
            remaining -= length
        raise AssertionError("windows() ends by raising")


ALWAYS = Calendar()


class Pause(BaseModel):
    """An interval the clock did not count; ``end`` is None while it lasts."""

    start: datetime
    end: datetime | None = None
    reason: str


def deadline(
    start: datetime, target_s: float, calendar: Calendar, pauses: Sequence[Pause]
) -> datetime | None:
    """When ``target_s`` of counted, unpaused time will have passed; None while paused."""
    remaining = target_s
    cursor = utc(start)
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and utc(pause.end) <= cursor:
            continue
        stop = max(utc(pause.start), cursor)
        running = calendar.counted(cursor, stop)
        if running >= remaining:
            return calendar.add(cursor, remaining)
        remaining -= running
        if pause.end is None:
            return None
        cursor = utc(pause.end)
    return calendar.add(cursor, remaining)


def elapsed(start: datetime, until: datetime, calendar: Calendar, pauses: Sequence[Pause]) -> float:
    """Counted seconds from ``start`` to ``until``, pauses left out."""
    total = calendar.counted(start, until)
    for pause in pauses:
        begin = max(utc(pause.start), utc(start))
        end = min(utc(pause.end or until), utc(until))
        total -= calendar.counted(begin, end)
    return max(total, 0.0)


# ---------------------------------------------------------------- policies


class Targets(BaseModel):
    """Seconds of counted time each clock may run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_response_s: int = Field(gt=0, le=MAX_TARGET_S)
    next_response_s: int = Field(gt=0, le=MAX_TARGET_S)
    resolution_s: int = Field(gt=0, le=MAX_TARGET_S)
    supplier_s: int = Field(
        gt=0, le=MAX_TARGET_S, description="How long a supplier may keep us waiting."
    )

    @model_validator(mode="after")
    def responses_within_resolution(self) -> Targets:
        if self.first_response_s > self.resolution_s:
            raise ValueError("first_response_s must not exceed resolution_s")
        if self.next_response_s > self.resolution_s:
            raise ValueError("next_response_s must not exceed resolution_s")
        return self

    def of(self, clock: SlaClock) -> int:
        return {
            SlaClock.FIRST_RESPONSE: self.first_response_s,
            SlaClock.NEXT_RESPONSE: self.next_response_s,
            SlaClock.RESOLUTION: self.resolution_s,
            SlaClock.SUPPLIER: self.supplier_s,
        }[clock]


class Tier(StrEnum):
    """Which targets a ticket's clocks run on: as opened, reopened, or appealed."""

    NEW = "new"
    REOPENED = "reopened"
    APPEAL = "appeal"


class PriorityTerms(BaseModel):
    """A priority's targets (with their own for reopened and appealed tickets) and calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: Targets
    reopened: Targets | None = Field(default=None, description="Default: ``targets``.")
    appeal: Targets | None = Field(default=None, description="Default: ``reopened``.")
    calendar: Calendar = ALWAYS
    warn_share: float = Field(default=0.8, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def targets_fit_the_calendar(self) -> PriorityTerms:
        """A deadline is looked for within ``MAX_CALENDAR_DAYS``: a target needs working time
        the calendar has in a year."""
        hours = self.calendar.business_hours
        if hours is None:
            return self
        longest = max(t.resolution_s for t in (self.targets, self.reopened, self.appeal) if t)
        if longest > hours.yearly_seconds():
            raise ValueError("a target exceeds a year of the calendar's business hours")
        return self

    def for_tier(self, tier: Tier) -> Targets:
        if tier is Tier.APPEAL:
            return self.appeal or self.reopened or self.targets
        if tier is Tier.REOPENED:
            return self.reopened or self.targets
        return self.targets


def _minutes(first: float, next_: float, resolution: float, supplier: float) -> Targets:
    return Targets(
        first_response_s=int(first * 60),
        next_response_s=int(next_ * 60),
        resolution_s=int(resolution * 60),
        supplier_s=int(supplier * 60),
    )


class SlaPolicy(BaseModel):
    """A tenant's terms for every priority."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priorities: dict[Priority, PriorityTerms]

    @model_validator(mode="after")
    def every_priority(self) -> SlaPolicy:
        missing = [p.value for p in Priority if p not in self.priorities]
        if missing:
            raise ValueError(f"terms missing for {', '.join(missing)}")
        return self

    def terms(self, priority: Priority) -> PriorityTerms:
        return self.priorities[priority]


DEFAULT_SLA = SlaPolicy(
    priorities={
        Priority.CRITICAL: PriorityTerms(
            targets=_minutes(5, 10, 60, 30), reopened=_minutes(5, 10, 30, 30)
        ),
        Priority.HIGH: PriorityTerms(targets=_minutes(15, 30, 4 * 60, 2 * 60)),
        Priority.NORMAL: PriorityTerms(targets=_minutes(30, 60, 24 * 60, 8 * 60)),
        Priority.LOW: PriorityTerms(targets=_minutes(4 * 60, 8 * 60, 72 * 60, 24 * 60)),
    }
)
"""24/7 everywhere; first response and resolution as ``domain.DEFAULT_POLICY`` always had."""


def calendar_for(terms: PriorityTerms, *, on_trip: bool) -> Calendar:
    """A traveller on a trip is served 24/7 whatever the tenant's business hours."""
    return ALWAYS if on_trip else terms.calendar


# ---------------------------------------------------------------- clocks


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
    """One run of one clock: started, maybe paused, stopped once with met true or false."""

    clock: SlaClock
    generation: int = Field(description="Distinguishes this run's timers from an earlier run's.")
    target_s: int
    warn_share: float
    calendar: Calendar = ALWAYS
    started_at: datetime
    pauses: list[Pause] = Field(default_factory=list)
    stopped_at: datetime | None = None
    met: bool | None = None
    elapsed_s: float | None = Field(default=None, description="Counted time, once stopped.")
    warned: bool = False
    breached: bool = False
    deadline: datetime | None = Field(default=None, description="None while paused or stopped.")
    warn_at: datetime | None = None

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
        self.deadline = deadline(self.started_at, self.target_s, self.calendar, self.pauses)
        self.warn_at = deadline(
            self.started_at, self.target_s * self.warn_share, self.calendar, self.pauses
        )

    def pause(self, now: datetime, reason: str) -> None:
        if not self.stopped and not self.paused:
            self.pauses.append(Pause(start=now, reason=reason))
            self.refresh()

    def resume(self, now: datetime) -> None:
        if not self.stopped and self.paused:
            self.pauses[-1].end = max(now, self.pauses[-1].start)
            self.refresh()

    def elapsed(self, now: datetime) -> float:
        return elapsed(self.started_at, self.stopped_at or now, self.calendar, self.pauses)

    def stop(self, now: datetime) -> None:
        """End the run; met if the counted time stayed within the target (a breach never is)."""
        self.resume(now)
        self.stopped_at = max(now, self.started_at)
        self.elapsed_s = self.elapsed(self.stopped_at)
        self.met = not self.breached and self.elapsed_s <= self.target_s
        self.refresh()

    def retarget(self, target_s: int, warn_share: float, calendar: Calendar) -> None:
        self.target_s, self.warn_share, self.calendar = target_s, warn_share, calendar
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

    def retarget(self, priority: Priority) -> None:
        """The priority changed: running clocks keep their start and take its targets."""
        terms = self.policy.terms(priority)
        targets = terms.for_tier(self.tier)
        for run in self.clocks.values():
            if not run.stopped:
                run.retarget(
                    targets.of(run.clock),
                    terms.warn_share,
                    calendar_for(terms, on_trip=self.on_trip),
                )

    def responded(self, at: datetime) -> list[ClockRun]:
        """An agent answered: first and next response stop."""
        return self._stop((SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE), at)

    def traveller_wrote(self, priority: Priority, at: datetime) -> None:
        """Once the first response is out, the traveller's next message starts next response."""
        if self.running(SlaClock.FIRST_RESPONSE) or self.running(SlaClock.NEXT_RESPONSE):
            return
        if SlaClock.RESOLUTION not in self.clocks:
            return
        self._start(SlaClock.NEXT_RESPONSE, priority, at)

    def wait(self, on_supplier: bool, priority: Priority, at: datetime) -> list[ClockRun]:
        """Customer clocks pause; waiting on a supplier starts the supplier chase."""
        reason = "waiting on supplier" if on_supplier else "waiting on traveller"
        for clock in CUSTOMER_CLOCKS:
            if run := self.running(clock):
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
