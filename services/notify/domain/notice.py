"""A notice (what to tell one person, with which template) and its rendered text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from contracts import events
from contracts.events import Channel, Traveller
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from services.notify.domain.recipients import Role


@dataclass(frozen=True)
class Notice:
    """A message to send: to whom (in which role), which template, with what values."""

    ticket_id: str | None
    recipient: Traveller
    template: str
    values: Mapping[str, str] = field(default_factory=dict)
    role: Role = Role.TRAVELLER
    origin: Channel | None = None
    detected_language: str | None = None
    answers: str | None = None
    """The traveller's e-mail (Message-ID) this notice answers: the one that opened the ticket."""
    attachments: tuple[events.Attachment, ...] = ()
    survey_id: str | None = None
    """The survey the notice offers: a ``survey.withdrawn`` naming it withdraws its message."""
    revision: int | None = None
    """The disruption revision a disruption notice tells: a newer one told makes it stale."""
    promised_at: datetime | None = None
    """The answer time it promises (``due``): passed when it goes out, it goes without it."""
    held_at: datetime | None = None
    """When its event named the recipient the ticket's holder (an SLA notice to the agent):
    a newer holder, someone else, makes it past (``domain.assignment``)."""

    @property
    def language(self) -> str:
        return language_of(self.recipient, self.detected_language)

    @property
    def reader_language(self) -> str:
        """The recipient's own language — stated, else detected in their contact — whatever
        this event's text is written in; else the notice's. A digest of several notices to
        them speaks it (an agent's reply in Chinese is told in Chinese alone, not in a
        Japanese traveller's digest)."""
        for tag in (self.recipient.language, self.recipient.detected_language):
            if language := supported_language(tag):
                return language
        return self.language


def language_of(recipient: Traveller, detected_language: str | None = None) -> str:
    """Their preference, else the language of the contact, else English."""
    for tag in (recipient.language, detected_language, recipient.detected_language):
        if language := supported_language(tag):
            return language
    return FALLBACK_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str


def traveller_name(event: events.TicketRouted | events.TicketResolved) -> str:
    """The traveller as staff and bookers read of them: their name, else their id."""
    return event.traveller.name or event.traveller.id
