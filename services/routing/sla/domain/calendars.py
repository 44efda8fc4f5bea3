"""SLA calendars: what time counts (24/7, or business hours in an IANA time zone with
holidays), and deadlines recomputed from the start, the target, the calendar and the pauses.
Pure: every instant is passed in."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_serializer,
    field_validator,
    model_validator,
)

from contracts.text import Day, TimeOfDay, TimeZoneName

MAX_CALENDAR_DAYS = 3 * 366
"""How far a deadline may be looked for: holidays are capped at a year's worth of days."""


def utc(moment: datetime) -> datetime:
    """Arithmetic only in UTC: Python subtracts wall clocks when both sides share a zone."""
    return moment.astimezone(UTC)


def wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the wall clock first reads ``at`` on ``day`` (docs/sla.md#policies).

    In the hour a fall-back repeats, its first pass (fold 0). A time a spring-forward skips
    is the change itself, the first instant after it: fold 0 would read 02:30 in a 02:00–03:00
    gap as 03:30, after a 03:15 that does exist, and the window would count less than nothing.
    """
    local = datetime.combine(day, at, zone)
    moment = utc(local)
    if moment.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return moment
    # In the gap fold 1 reads the local time with the offset after the change (an instant
    # before it) and fold 0 with the one before (after it): the change lies between.
    before = math.floor(utc(local.replace(fold=1)).timestamp())
    after = math.ceil(moment.timestamp())
    offset_after = moment.astimezone(zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


class BusinessHours(BaseModel):
    """Working days and one daily window in a time zone; holidays are local dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: TimeZoneName = Field(default="UTC", description="IANA name, e.g. Asia/Shanghai.")
    days: tuple[Annotated[StrictInt, Field(ge=1, le=7)], ...] = Field(
        default=(1, 2, 3, 4, 5), min_length=1, max_length=7, description="ISO weekdays, 1 = Monday."
    )
    opens: TimeOfDay = time(9)
    closes: TimeOfDay = time(18)
    holidays: tuple[Day, ...] = Field(default=(), max_length=366)

    @field_serializer("opens", "closes")
    def _time_text(self, value: time) -> str:
        """ISO text, also in the store: BSON has no time-of-day (nor date) type. ``09:00``
        as a manager writes it (``09:00:00`` read as a different answer), seconds only when
        given."""
        return value.isoformat("auto" if value.second or value.microsecond else "minutes")

    @field_serializer("holidays")
    def _dates_text(self, value: tuple[date, ...]) -> tuple[str, ...]:
        return tuple(day.isoformat() for day in value)

    def yearly_seconds(self) -> float:
        """Working seconds in a year at most (holidays off): what a target may ask for."""
        window = (
            datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        ).total_seconds()
        return (52 * len(self.days) - len(self.holidays)) * window

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
                opens = wall_clock(day, hours.opens, zone)
                closes = wall_clock(day, hours.closes, zone)
                if closes > start and closes > opens:
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
