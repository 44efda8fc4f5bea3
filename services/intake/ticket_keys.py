"""The lookup keys that lead to a ticket, and the tickets a new contact could belong to.

``ticket_keys`` holds one document per key — a contact, a conversation, a (traveller,
booking), a traveller — listing the tickets behind it as members that sort newest first:
by generation within a conversation, by opening time for a traveller. ``TicketStore``
reads and writes them by ``_id`` only (#20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo import UpdateOne

from contracts import events
from contracts.references import canonical_references
from services.intake.domain import Ticket, TicketStatus, reopening, thread_key_for, ticket_id_for

NEWEST_PER_KEY = 10
"""Tickets loaded per key: the newest decide (by generation, or for a traveller by opening)."""
TRAVELLER_KEPT = 100
"""Members a traveller's key keeps: one is added for every contact of theirs that claims
keys (``opening_traveller_entry``), so the list is cut to its last ones as it grows."""
TRAVELLER = "t|"


def contact_key(contact_id: str) -> str:
    return f"c|{contact_id}"


def conversation_key(tenant_id: str, key: str) -> str:
    return f"k|{tenant_id}|{key}"


def reference_key(tenant_id: str, traveller_id: str, reference: str) -> str:
    """A (traveller, booking) key: ``reference`` in its canonical form (``canonical_reference``),
    so ``NH0920`` and ``NH920`` lead to one ticket. Tickets keyed before keep written ones."""
    return f"r|{tenant_id}|{traveller_id}|{reference}"


def traveller_key(tenant_id: str, traveller_id: str) -> str:
    """Every ticket of one traveller: read only for closing words with no thread of their
    own (``Candidates.thanked_lately``), written with the other keys at no extra cost."""
    return f"{TRAVELLER}{tenant_id}|{traveller_id}"


def key_member(generation: int, ticket_id: str) -> str:
    """What a lookup key holds of a ticket; members sort by generation."""
    return f"{generation:06d}|{ticket_id}"


def traveller_member(opened_us: int, ticket_id: str) -> str:
    """What a traveller's key holds of a ticket; members sort by when it opened (by generation
    they would not: a traveller's tickets are mostly each their conversation's first)."""
    return f"{opened_us:017d}|{ticket_id}"


def ticket_ids(members: list[str]) -> list[str]:
    """The ids of the ``NEWEST_PER_KEY`` newest tickets a key lists, each once."""
    ids: list[str] = []
    for member in sorted(members, reverse=True):
        ticket_id = member.split("|", 1)[1]
        if ticket_id not in ids:
            ids.append(ticket_id)
        if len(ids) == NEWEST_PER_KEY:
            break
    return ids


def key_entries(ticket: Ticket) -> set[tuple[str, str]]:
    """The lookup keys that lead to this ticket, each with the member it adds there.

    Members sort by generation, so the newest tickets of a conversation come first.
    """
    member = key_member(ticket.generation, ticket.id)
    return {
        *((contact_key(c), member) for c in ticket.contact_ids),
        *((conversation_key(ticket.tenant_id, k), member) for k in ticket.conversation_keys),
        *(
            (reference_key(ticket.tenant_id, ticket.traveller.id, r), member)
            for r in ticket.reference_values
        ),
        (
            traveller_key(ticket.tenant_id, ticket.traveller.id),
            traveller_member(ticket.opened_us, ticket.id),
        ),
    }


def opening_key_entries(
    tenant_id: str, contact: events.ContactReceived, contact_id: str
) -> set[tuple[str, str]]:
    """The ``key_entries`` of the first ticket this contact would open, read off the
    contact, but the traveller's: a claim that meets a known key then opens nothing, so
    nothing is built."""
    thread_key = thread_key_for(contact)
    member = key_member(1, ticket_id_for(tenant_id, thread_key, 1))
    return {
        (contact_key(contact_id), member),
        (conversation_key(tenant_id, thread_key), member),
        *(
            (reference_key(tenant_id, contact.traveller.id, r), member)
            for r in canonical_references(contact.references)
        ),
    }


def opening_traveller_entry(
    tenant_id: str, contact: events.ContactReceived, now: datetime
) -> tuple[str, str]:
    """The traveller's entry of the ticket this contact would open at ``now`` (its
    ``opened_us`` as ``Ticket.open`` sets it). Claimed with the others whether or not the
    ticket then opens: a member for a follow-up's or a duplicate's ticket only marks the
    traveller's recent activity, and ``ticket_ids`` takes each ticket once."""
    ticket_id = ticket_id_for(tenant_id, thread_key_for(contact), 1)
    opened_us = int(now.timestamp() * 1_000_000)
    return traveller_key(tenant_id, contact.traveller.id), traveller_member(opened_us, ticket_id)


def key_write(key: str, member: str) -> UpdateOne:
    """The upsert adding ``member`` to ``key``: once to a set, or for a traveller's key,
    which gains members for as long as they write in, kept to its last ``TRAVELLER_KEPT``."""
    if key.startswith(TRAVELLER):
        added = {"$each": [member], "$slice": -TRAVELLER_KEPT}
        return UpdateOne({"_id": key}, {"$push": {"tickets": added}}, upsert=True)
    return UpdateOne({"_id": key}, {"$addToSet": {"tickets": member}}, upsert=True)


@dataclass(frozen=True)
class Candidates:
    """The tickets a new contact could belong to, found by key, not by scanning."""

    contact_id: str
    thread_key: str
    traveller_id: str
    references: frozenset[str]
    tickets: tuple[Ticket, ...]

    def knowing_contact(self) -> Ticket | None:
        return next((t for t in self.tickets if t.knows_contact(self.contact_id)), None)

    def named(self, ticket_id: str) -> Ticket | None:
        """A ticket the contact names itself (e-mail headers, subject tag), if in this tenant."""
        return next((t for t in self.tickets if t.id == ticket_id), None)

    def open_thread(self) -> Ticket | None:
        """The newest ticket of the conversation that is not closed."""
        live = [
            t
            for t in self.tickets
            if self.thread_key in t.conversation_keys and t.status is not TicketStatus.CLOSED
        ]
        return max(live, key=lambda t: t.generation, default=None)

    def latest_of_thread(self) -> Ticket | None:
        """The conversation's newest ticket, closed or not (its generation numbers the next)."""
        own = [t for t in self.tickets if t.thread_key == self.thread_key]
        return max(own, key=lambda t: t.generation, default=None)

    def recent_by_reference(self, since: datetime) -> Ticket | None:
        """The traveller's latest active ticket about one of these bookings."""
        recent = [
            t
            for t in self.tickets
            if t.traveller.id == self.traveller_id
            and self.references.intersection(t.reference_values)
            and t.status is not TicketStatus.CLOSED
            and t.last_activity_at >= since
        ]
        return max(recent, key=lambda t: t.last_activity_at, default=None)

    def thanked_lately(self, since: datetime) -> Ticket | None:
        """The traveller's most recently answered ticket, answered since ``since``: the one
        closing words with no thread of their own thank for (``reopening.answered_at``)."""
        answered = [
            (at, t)
            for t in self.tickets
            if t.traveller.id == self.traveller_id
            and (at := reopening.answered_at(t)) is not None
            and at >= since
        ]
        return max(answered, key=lambda pair: pair[0], default=(None, None))[1]
