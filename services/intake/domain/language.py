"""Which language a ticket speaks to its traveller once they write again.

The first contact sets it (``Ticket.open``); a later message of the same traveller moves it
when it is surely in another language, so the notices that follow (replies, routing's,
the survey, the tracking page) read as they last wrote. A language they stated always wins
over a guess. Pure: intake's channel code says which languages a message is surely in
(``services.intake.channels.language.written_in``), this decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.events import Traveller
from contracts.languages import supported_language
from services.intake.domain.ticket_record import TicketRecord


def opening_language(
    hint: str | None, preferred: str | None, text: str, guess: Callable[[str], str]
) -> str:
    """The language a new ticket speaks: one TripCare speaks, whatever tag the gateway sent.

    The traveller's preference, else the gateway's hint, each mapped onto ``LANGUAGES``
    (``ja-JP`` → ``ja``): the preference is the traveller's own choice, the hint only the
    device's or the IVR's reading of one message (docs/api.md), and notify's notices
    follow the preference too. A tag naming none of them (``fr``) stays on the traveller
    as their preference but serves nothing, and the ticket speaks what they wrote in
    (``guess``), as its acknowledgement does.
    """
    return supported_language(preferred) or supported_language(hint) or guess(text)


@dataclass(frozen=True)
class Speaking:
    """The ticket's language after a follow-up, and its traveller carrying it for notices."""

    language: str
    traveller: Traveller
    stated: bool
    """Whether the traveller stated it (their preference), rather than it being guessed."""


def language_after_follow_up(
    language: str | None, traveller: Traveller, writer: Traveller, written: Sequence[str]
) -> Speaking | None:
    """What the ticket speaks once ``writer`` wrote a follow-up surely in one of ``written``
    (best first; empty when too short or mixed to tell), or None when it keeps ``language``.

    Only the traveller's own messages count, not a colleague's or their booker's on the
    thread. A preference they state replaces the one they stated before; a stated one is
    never overridden by a guess; a follow-up possibly in the current language keeps it.
    """
    if writer.id != traveller.id:
        return None
    stated = supported_language(writer.language)
    if stated and stated != supported_language(traveller.language):
        update = {"language": writer.language}
        return Speaking(stated, traveller.model_copy(update=update), stated=True)
    if stated or supported_language(traveller.language) or not written:
        return None
    if supported_language(language) in written:
        return None
    update = {"detected_language": written[0]}
    return Speaking(written[0], traveller.model_copy(update=update), stated=False)


def follow_language(
    ticket: TicketRecord, writer: Traveller, written: Sequence[str], now: datetime
) -> None:
    """Apply ``language_after_follow_up`` to the ticket, with a timeline entry for staff."""
    speaking = language_after_follow_up(ticket.language, ticket.traveller, writer, written)
    if speaking is None:
        return
    before = ticket.language or "none"
    ticket.language, ticket.traveller = speaking.language, speaking.traveller
    by = "preference" if speaking.stated else "guess"
    why = "their stated preference" if speaking.stated else "written in it"
    summary = f"Language {before} → {speaking.language} ({why})"
    details = {"from": before, "to": speaking.language, "by": by}
    ticket._log(now, "language", writer.id, summary, **details)


def reader_language(ticket: TicketRecord) -> str | None:
    """The language notify wraps a notice to this ticket's traveller in (its ``language_of``:
    their stated preference, else the ticket's, else the one detected), so a text written
    per language (an incident's bulk reply or resolution) matches the words around it;
    None when it is none TripCare speaks (notify then falls back to English)."""
    for tag in (ticket.traveller.language, ticket.language, ticket.traveller.detected_language):
        if language := supported_language(tag):
            return language
    return None
