"""Which ticket an e-mail names: our own Message-IDs it answers, or a ``[TC-…]`` subject tag.

Pure. A reply to any mail TripCare sent carries our Message-ID in
``In-Reply-To``/``References`` (``contracts.mail``), so it joins that ticket even
when the traveller's client dropped the thread root. The ticket must belong to
the tenant whose mailbox or gateway received the mail (it is loaded by tenant,
so another tenant's id names nothing). A subject tag is typed text anyone can
copy, so it only threads mail from the ticket's own traveller.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from contracts.events import Channel, ContactReceived, Traveller
from contracts.mail import subject_tags, tickets_named_by

IN_REPLY_TO = "in_reply_to"
REFERENCES = "references"
MAX_HEADER_KEPT = 4_000


@dataclass(frozen=True)
class NamedTicket:
    ticket_id: str
    by_subject: bool
    """Named only by a subject tag: the sender must be the ticket's traveller."""


def thread_headers(in_reply_to: str, references: str) -> dict[str, str]:
    """The contact metadata intake threads on later (the newest References are kept)."""
    kept = {IN_REPLY_TO: in_reply_to.strip(), REFERENCES: references.strip()[-MAX_HEADER_KEPT:]}
    return {key: value for key, value in kept.items() if value}


def named_tickets(contact: ContactReceived, mail_domain: str) -> list[NamedTicket]:
    """The tickets an e-mail names, most specific first: the mail it answers, then the
    newest References, then subject tags.
    """
    if contact.channel is not Channel.EMAIL:
        return []
    metadata = contact.metadata
    references = metadata.get(REFERENCES, "").split()
    headers = " ".join([metadata.get(IN_REPLY_TO, ""), *reversed(references)])
    by_id = tickets_named_by(headers, mail_domain)
    named = [NamedTicket(ticket_id, by_subject=False) for ticket_id in by_id]
    named += [
        NamedTicket(ticket_id, by_subject=True)
        for ticket_id in subject_tags(contact.subject)
        if ticket_id not in by_id
    ]
    return named


def address_of(person: Traveller) -> str | None:
    """A person's e-mail address, lower-cased: their own, or the one their id was made of."""
    if person.email:
        return parseaddr(person.email)[1].lower() or None
    if person.id.startswith("email:"):
        return person.id.removeprefix("email:").lower()
    return None


def sender_may_thread(named: NamedTicket, ticket_traveller: Traveller, sender: Traveller) -> bool:
    """A Message-ID proves the mail answers ours; a subject tag counts from the traveller only."""
    if not named.by_subject:
        return True
    mine = address_of(ticket_traveller)
    return mine is not None and mine == address_of(sender)
