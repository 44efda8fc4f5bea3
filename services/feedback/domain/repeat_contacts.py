"""A repeat contact: the same traveller, or the same booking, again within 72 hours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from contracts.events import BookingReference, ReferenceKind

REPEAT_WINDOW = timedelta(hours=72)
BOOKING_KINDS = frozenset(
    {ReferenceKind.PNR, ReferenceKind.ORDER, ReferenceKind.HOTEL_CONFIRMATION}
)
"""References that name one booking. A flight or train number does not: every traveller on
CA1501 shares it, and in a cancelled-flight incident nearly all of them write in."""


def looked_back_from(start: datetime) -> datetime:
    """The earliest contact the repeat rate of a window opening at ``start`` reads: the
    repeat window before it, but never before year 1 (``from=0001-01-02`` is a valid
    query, and ``start - REPEAT_WINDOW`` would overflow)."""
    earliest = datetime.min.replace(tzinfo=UTC)
    return start - REPEAT_WINDOW if start - earliest > REPEAT_WINDOW else earliest


def booking_keys(references: Iterable[BookingReference]) -> list[str]:
    """The references of a contact that name a booking (``BOOKING_KINDS``), sorted."""
    return sorted({r.value for r in references if r.kind in BOOKING_KINDS})


def repeat_flags(
    contacts: Sequence[tuple[datetime, str, Sequence[str]]], window: timedelta = REPEAT_WINDOW
) -> list[bool]:
    """For each (time, traveller, booking references) in time order: a repeat contact?

    A contact repeats one by the same traveller, or about the same booking (a PNR, an
    order, a hotel confirmation: ``booking_keys``, never a flight number), within
    ``window`` before it — whatever the channel or ticket.
    """
    last_by_key: dict[str, datetime] = {}
    flags: list[bool] = []
    for at, traveller, references in contacts:
        keys = [f"t:{traveller}", *(f"r:{r}" for r in references)]
        flags.append(any(k in last_by_key and at - last_by_key[k] <= window for k in keys))
        for key in keys:
            last_by_key[key] = at
    return flags
