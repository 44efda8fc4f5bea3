"""Time-bucket keys of the metrics (UTC hour, day and ISO week), stored with the facts. Pure.

They are written with the facts instead of computed by the store (``$dateTrunc``), which
the local store does not evaluate.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel


def hour_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def day_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def week_key(at: datetime) -> str:
    year, week, _ = at.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


class Buckets(BaseModel):
    hour: str
    day: str
    week: str

    @classmethod
    def of(cls, at: datetime) -> Buckets:
        return cls(hour=hour_key(at), day=day_key(at), week=week_key(at))
