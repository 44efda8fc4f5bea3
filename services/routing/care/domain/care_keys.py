"""The keys a new ticket's care lookups go by (#20): one read by ``_id`` answers both a
traveller's bookings and the open disruptions of the flights and trains they name.

nx-27017 answers a query on any field but ``_id`` one caller at a time (``$in`` and
``$or`` on another field scan the collection), so beside trips and disruptions routing
keeps one document per traveller and per reference, listing the bookings or disruptions
that may concern it as members ``"<until, 13 digits>|<id>"``. A member is added before
every write of its document, with what that write stores, and is never changed: a trip
whose end moves gets a second member. A reader keeps the members not over yet, fetches
those documents by ``_id`` and checks each against the filter it stands for, so a stale
member costs a read, never a wrong answer. Members a day over are pruned now and then
(``care.key_pruner``), so a traveller's key does not list every booking they ever had.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.routing.care.domain.incidents import Disruption, open_until_ms
from services.routing.care.domain.trips import Trip

UNTIL_DIGITS = 13
Entry = tuple[str, str]
"""A key's ``_id`` and one member to add to it."""


def traveller_key(tenant_id: str, traveller_id: str) -> str:
    return f"traveller|{tenant_id}|{traveller_id}"


def reference_key(reference: str) -> str:
    return f"reference|{reference}"


def member(until_ms: int, document_id: str) -> str:
    return f"{max(until_ms, 0):0{UNTIL_DIGITS}d}|{document_id}"


def parse(entry: str) -> tuple[int, str] | None:
    """A member's end and id; None for a malformed one, which no reader keeps."""
    until, _, document_id = entry.partition("|")
    return (int(until), document_id) if until.isdigit() and document_id else None


def live(members: Iterable[str], now_ms: int) -> list[str]:
    """The ids of the members not over at ``now_ms``, each once, sorted."""
    parsed = (parse(entry) for entry in members)
    return sorted({p[1] for p in parsed if p is not None and p[0] >= now_ms})


def over(members: Iterable[str], before_ms: int) -> list[str]:
    """The members that ended before ``before_ms``, and any malformed one: ``live`` keeps
    neither, so no reader misses them once they are gone."""
    return [m for m in members if (p := parse(m)) is None or p[0] < before_ms]


def trip_entries(trip: Trip) -> list[Entry]:
    """A booking with no segment never ends after now: nobody's itinerary needs it."""
    if trip.ends_ms <= 0:
        return []
    return [(traveller_key(trip.tenant_id, trip.traveller.id), member(trip.ends_ms, trip.id))]


def disruption_entries(disruption: Disruption) -> list[Entry]:
    """Its close follows from its dates alone (a span's last night), so a report's write is
    keyed before the report is applied."""
    until = open_until_ms(disruption.last_night)
    return [(reference_key(disruption.reference), member(until, disruption.id))]
