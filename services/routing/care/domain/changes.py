"""What travellers are told of a disruption, pure: whether a report is news to them
(``material_change``), whether a delay has cleared, and the one-line summary agents read."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from contracts.text import as_utc
from services.routing.care.domain.suppliers import KINDS, reads_delay
from services.routing.care.domain.trips import IsoDate

DELAY_STEP_MIN = 60
"""A delay (or a departure time) that moves by this much is news to the traveller."""
MATERIAL_DETAILS = ("gate", "terminal", "platform", "new_departure", "new_date", "diverted_to")
DELAYS = frozenset({"flight_delayed", "train_delayed"})
"""The kinds whose delay can clear: the flight or train is then back on schedule."""


def _minutes(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _moment(value: str | None) -> datetime | None:
    """A partner's time; one without an offset reads as UTC, as every instant does: compared
    with one that has an offset, it raised, and the report was never taken.

    Since d1bd187 the edge refuses a ``new_departure`` without an offset
    (``suppliers.check_departure``), so that branch reads only a value stored before then (a
    snapshot already told, details an incident kept), or a "no time" sentinel the edge keeps as
    sent, outside the years an instant may be (``0001-01-01T00:00:00``)."""
    try:
        return as_utc(datetime.fromisoformat(value)) if value else None
    except ValueError:
        return None


class Snapshot(BaseModel):
    """What travellers were last told: the kind and the details that matter."""

    model_config = ConfigDict(frozen=True)

    kind: str
    details: dict[str, str] = Field(default_factory=dict)
    last_service_date: IsoDate | None = None
    """A span's last night; None: one night (or a snapshot kept before spans)."""


def delay_cleared(snapshot: Snapshot) -> bool:
    """The partner says the delay is gone (``delay_minutes`` 0). A ``new_departure`` back at
    the booked time says so too, but the booked time is each booking's: ``back_on_schedule``."""
    return snapshot.kind in DELAYS and _minutes(snapshot.details.get("delay_minutes")) == 0


def back_on_schedule(kind: str, details: dict[str, str], departs_at: datetime) -> bool:
    """For one booking: its delay has cleared, by ``delay_minutes`` 0 or (none given) a
    ``new_departure`` at the booked departure. A delay the partner still counts is a delay."""
    if kind not in DELAYS:
        return False
    delay = _minutes(details.get("delay_minutes"))
    if delay is not None:
        return delay == 0
    departure = _moment(details.get("new_departure"))
    return departure is not None and departure == as_utc(departs_at)


def material_change(before: Snapshot | None, after: Snapshot) -> str | None:
    """Why ``after`` is news compared with what travellers were told, or None if it is not.

    Material: the first report, unless it is of a delay already cleared (nobody heard of
    the delay, so nobody hears of its end); another kind (delayed → cancelled); a delay
    cleared or back after clearing, however small; a delay or a new departure time moved
    by ≥ 60 min; a new gate, terminal, platform, date or diversion airport; a span of nights
    longer or shorter (the guests it holds are not those it held). A delay growing 60 → 90
    min is not; 60 → 120 is.
    """
    if before is None:
        return None if delay_cleared(after) else "first report"
    if before.kind != after.kind:
        return f"{before.kind} → {after.kind}"
    if before.last_service_date != after.last_service_date:
        last = after.last_service_date
        return f"last night now {last.isoformat()}" if last else "one night now"
    if delay_cleared(before) != delay_cleared(after):
        return "back on schedule" if delay_cleared(after) else "delayed again"
    old_delay = _minutes(before.details.get("delay_minutes"))
    new_delay = _minutes(after.details.get("delay_minutes"))
    if (
        reads_delay(after.kind)
        and new_delay is not None
        and abs(new_delay - (old_delay or 0)) >= DELAY_STEP_MIN
    ):
        return f"delay {old_delay or 0} → {new_delay} min"
    old_dep = _moment(before.details.get("new_departure"))
    new_dep = _moment(after.details.get("new_departure"))
    if new_dep is not None and (
        old_dep is None or abs(new_dep - old_dep) >= timedelta(minutes=DELAY_STEP_MIN)
    ):
        return f"departure now {new_dep.isoformat()}"
    for name in MATERIAL_DETAILS:
        value = after.details.get(name, "")
        if name != "new_departure" and value and value != before.details.get(name, ""):
            return f"{name} now {value}"
    return None


def summary_of(
    kind: str,
    reference: str,
    service_date: date,
    details: dict[str, str],
    last_service_date: date | None = None,
) -> str:
    """One line for the ticket and the agent: ``flight delayed: CA1501 on 2026-11-26 (+240
    min)``, ``hotel closed: SHA-HILTON-01 on 2026-11-26 to 2026-11-28``"""
    text = f"{KINDS[kind].label}: {reference} on {service_date.isoformat()}"
    if last_service_date is not None:
        text += f" to {last_service_date.isoformat()}"
    extras = []
    if (delay := details.get("delay_minutes")) and reads_delay(kind):
        cleared = delay_cleared(Snapshot(kind=kind, details=details))
        extras.append("back on schedule" if cleared else f"+{delay} min")
    for name in MATERIAL_DETAILS:
        if value := details.get(name):
            extras.append(f"{name.replace('_', ' ')} {value}")
    return text + (f" ({', '.join(extras)})" if extras else "")
