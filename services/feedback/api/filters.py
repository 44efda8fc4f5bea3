"""The managers' filters: which window, which slices (metrics and reports; the tenant is
``runtime.auth``'s to resolve)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated

from fastapi import Query

from runtime.errors import invalid
from runtime.query_times import QueryInstant
from services.feedback.domain.metrics import DIMENSIONS

DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=400)

From = Annotated[QueryInstant | None, Query(alias="from", description="Default: 30 days ago.")]
To = Annotated[QueryInstant | None, Query(alias="to", description="Default: now.")]
By = Annotated[
    str | None,
    Query(
        max_length=200,
        description=f"Comma-separated slices: {', '.join(DIMENSIONS)} (hour, day and week "
        "in each ticket's business time zone, else UTC).",
    ),
]


def window(
    start: datetime | None, end: datetime | None, now: datetime, zone: tzinfo = UTC
) -> tuple[datetime, datetime]:
    """``[from, to)``; a date or time without an offset is the tenant's business ``zone``'s (a
    Shanghai manager's ``from=2026-12-01`` is midnight in Shanghai), and a default that would
    fall before year 1 is refused, not a 500 (``to=0001-01-01T00:00:01Z``, the fuzzer's)."""
    end = local(end, zone) if end else now + timedelta(seconds=1)
    try:
        start = local(start, zone) if start else end - DEFAULT_WINDOW
    except OverflowError as exc:
        raise invalid("'to' is too early for the default 30 days", ("query", "to")) from exc
    if start >= end:
        raise invalid("'from' must be before 'to'", ("query", "from"))
    if end - start > MAX_WINDOW:
        raise invalid("at most 400 days at once", ("query", "from"))
    return start, end


def local(moment: datetime, zone: tzinfo) -> datetime:
    """A time without an offset in ``zone``, as an instant; others as they are."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def dimensions(by: str | None) -> list[str]:
    names = [name.strip() for name in (by or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown or len(set(names)) != len(names):
        raise invalid(f"'by' takes distinct names among {', '.join(DIMENSIONS)}", ("query", "by"))
    return names
