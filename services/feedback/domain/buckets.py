"""Time-bucket keys of the metrics (hour, day and ISO week) in a ticket's business time zone.
Pure.

A Shanghai desk's day runs from midnight in Shanghai: cut at UTC midnight, its daily figures
put every ticket opened before 08:00 local on the day before. The keys are computed when the
metrics are read (the store has no ``$dateTrunc``), from the instants the facts keep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from pydantic import BaseModel


def zone_of(name: str | None) -> tzinfo:
    """The business zone routing named (an IANA name it validated), else UTC."""
    return ZoneInfo(name) if name else UTC


def tenant_zone(zones: Iterable[str | None]) -> str | None:
    """The tenant's business zone among its tickets' (``TicketFacts.business_time_zone``):
    the one most were routed under (its SLA calendar's; a 24/7 priority names none), the
    first by name on a tie; None: UTC."""
    named = Counter(zone for zone in zones if zone)
    return min(named, key=lambda name: (-named[name], name)) if named else None


def hour_key(at: datetime, zone: tzinfo = UTC) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%dT%H")


def day_key(at: datetime, zone: tzinfo = UTC) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d")


def week_key(at: datetime, zone: tzinfo = UTC) -> str:
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


class Buckets(BaseModel):
    hour: str
    day: str
    week: str

    @classmethod
    def of(cls, at: datetime, zone: tzinfo = UTC) -> Buckets:
        return cls(hour=hour_key(at, zone), day=day_key(at, zone), week=week_key(at, zone))
