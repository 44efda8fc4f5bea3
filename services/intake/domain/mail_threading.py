"""Which ticket an e-mail names: our own Message-IDs it answers, or a ``[TC-…]`` subject tag.

Pure. A reply to any mail TripCare sent carries our Message-ID in
``In-Reply-To``/``References`` (``contracts.mail``), so it joins that ticket even
when the traveller's client dropped the thread root. The ticket must belong to
the tenant whose mailbox or gateway received the mail (it is loaded by tenant,
so another tenant's id names nothing). Our Message-IDs are made of the ticket id, so
anyone who knows the id can write one: a Message-ID (or the traveller's own thread)
threads only mail from the ticket's own people — its traveller, their booker, and the
addresses in Cc of the mails taken into it. Anyone else's mail is a conversation of its
own: a new ticket an agent can merge. A subject tag is typed text anyone can copy, so it
only threads mail from the ticket's own traveller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from typing import Protocol

from contracts.events import Channel, ContactReceived, Traveller
from contracts.mail import subject_tags, tickets_named_by

IN_REPLY_TO = "in_reply_to"
REFERENCES = "references"
CC = "cc"
MAX_HEADER_KEPT = 4_000
MAX_CC_KEPT = 20


class MailThread(Protocol):
    """What threading reads of a ticket: whose mail may join it."""

    @property
    def traveller(self) -> Traveller: ...

    @property
    def mail_cc(self) -> list[str]: ...


class Found(Protocol):
    """The tickets a contact's keys found (``store.Candidates``)."""

    def named(self, ticket_id: str) -> MailThread | None: ...

    def open_thread(self) -> MailThread | None: ...

    def latest_of_thread(self) -> MailThread | None: ...


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


def cc_addresses(contact: ContactReceived) -> list[str]:
    """The Cc of an e-mail, lower-cased: people its sender brought into the conversation."""
    if contact.channel is not Channel.EMAIL:
        return []
    found = getaddresses([contact.metadata.get(CC, "")])
    return [address.lower() for _, address in found if "@" in address][:MAX_CC_KEPT]


def more_cc(kept: Sequence[str], contact: ContactReceived) -> list[str]:
    """The ticket's Cc with this mail's added, each once, at most ``MAX_CC_KEPT``."""
    return list(dict.fromkeys([*kept, *cc_addresses(contact)]))[:MAX_CC_KEPT]


def ticket_people(ticket: MailThread) -> set[str]:
    """Whose mail may join the ticket by its Message-IDs: traveller, booker, Cc."""
    people = {address_of(ticket.traveller), *ticket.mail_cc}
    if ticket.traveller.booker is not None:
        people.add(address_of(ticket.traveller.booker))
    return {address for address in people if address}


def sender_may_thread(
    named: NamedTicket, ticket: MailThread, sender: Traveller, automatic: bool = False
) -> bool:
    """A Message-ID counts from the ticket's people, a subject tag from its traveller only.
    A bounce or auto-reply (``automatic``) comes from a mail system, not a person: the
    Message-ID it returns is all it has, and it only ever makes a staff-only timeline entry."""
    address = address_of(sender)
    if named.by_subject:
        return address is not None and address == address_of(ticket.traveller)
    return automatic or address in ticket_people(ticket)


def outsider(contact: ContactReceived, named: Iterable[NamedTicket], found: Found) -> bool:
    """An e-mail whose headers lead into a ticket (named by Message-ID, or the conversation
    it continues) that is not its sender's: it must open a conversation of its own."""
    if contact.channel is not Channel.EMAIL or not contact.conversation_key:
        return False
    by_id = [found.named(n.ticket_id) for n in named if not n.by_subject]
    threads = [*by_id, found.open_thread(), found.latest_of_thread()]
    sender = address_of(contact.traveller)
    return any(t is not None and sender not in ticket_people(t) for t in threads)


def own_conversation(contact: ContactReceived) -> ContactReceived:
    """An outsider's mail as its own conversation: its thread headers lead nowhere now."""
    metadata = {k: v for k, v in contact.metadata.items() if k not in (IN_REPLY_TO, REFERENCES)}
    return contact.model_copy(update={"conversation_key": None, "metadata": metadata})
