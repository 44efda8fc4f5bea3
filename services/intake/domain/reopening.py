"""Back to a human with a raised priority: a follow-up on a closed-out answer, "did not
help", an appeal; and what does not reopen, closing words. Pure; ``Ticket.reopen``,
``Ticket.appeal`` and ``Ticket.follow_up`` call these.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from contracts import events
from services.intake.domain.appeal_review import PendingAppeal
from services.intake.domain.closing import is_closing
from services.intake.domain.records import MAX_TEXT_KEPT
from services.intake.domain.status import ANSWERED, REOPEN_PRIORITY, TicketStatus

if TYPE_CHECKING:
    from services.intake.domain.ticket import Ticket


def reopen(
    ticket: Ticket, *, reason: str, by: str, now: datetime, appeal: events.AppealFiled | None = None
) -> None:
    """Back to a human with a raised priority (a follow-up, "did not help", an appeal)."""
    ticket._move(TicketStatus.REOPENED, "be reopened")
    escalate(ticket, f"Reopened: {reason}", reason=reason, by=by, now=now, appeal=appeal)


def thanked(ticket: Ticket | None, contact: events.ContactReceived) -> Ticket | None:
    """The answered or closed ticket a late "thanks" belongs to, past the reopen window or
    after closing: its timeline takes it, where a new ticket would acknowledge, queue and
    page for a pleasantry (docs/api.md, "Closing words")."""
    if ticket is not None and ticket.status in ANSWERED and is_closing(contact):
        return ticket
    return None


def bare_thanks(contact: events.ContactReceived) -> bool:
    """Closing words with no thread of their own (no ``conversation_key``; intake checks
    too that they name no ticket): they thank for the traveller's latest answer
    (``answered_at``), where a ticket of their own would acknowledge and queue a
    pleasantry (docs/api.md, "Closing words")."""
    return contact.conversation_key is None and is_closing(contact)


def answered_at(ticket: Ticket) -> datetime | None:
    """When the answer that stands was given, for a ticket answered and done with
    (``ANSWERED``): resolved, or closed after it, or answered by the bot. None for an open
    ticket, one closed unanswered, or one merged into another (which took its thread)."""
    if ticket.status not in ANSWERED or ticket.merged_into is not None:
        return None
    if ticket.status is TicketStatus.BOT_ANSWERED:
        return ticket.last_activity_at
    return ticket.resolved_at


def closing_words(
    ticket: Ticket, contact: events.ContactReceived, contact_id: str, now: datetime
) -> None:
    """A "thanks" or "ok, got it" on an answered ticket (``closing``): on the timeline for
    staff, and nothing more. No reopen, so the survey stays open and nobody is paged; no
    ``ticket.followed_up``, so it counts as no repeat contact and keeps first-contact
    resolution (docs/api.md, "Contacts")."""
    ticket._remember(contact, contact_id)
    ticket._join(contact)
    summary = f"Closing words on {contact.channel.value}: the ticket stays {ticket.status.value}"
    ticket._log(
        now,
        "closing_words",
        contact.traveller.id,
        summary,
        channel_message_id=contact.channel_message_id,
        text=contact.text[:MAX_TEXT_KEPT],
    )


def appeal(ticket: Ticket, filed: events.AppealFiled, *, now: datetime) -> None:
    """The traveller appealed the result: reopen it, raised, for the appeal's reviewer.

    Feedback only accepts appeals of resolved tickets, but a follow-up may
    have reopened the ticket meanwhile: then it is escalated where it is, so
    routing still hands it to the reviewer. A closed ticket cannot reopen;
    the appeal is only logged (feedback refuses those up front).
    """
    ticket._log(
        filed.filed_at,
        "appealed",
        filed.traveller.id,
        f"Appeal {filed.appeal_number} filed ({filed.level.value}): {filed.reason[:200]}",
        service="feedback",
        appeal_id=filed.appeal_id,
        text=filed.reason[:MAX_TEXT_KEPT],
    )
    reason = f"appeal: {filed.reason[:200]}"
    if ticket.status is not TicketStatus.CLOSED:
        ticket.pending_appeal = PendingAppeal(
            appeal_id=filed.appeal_id,
            number=filed.appeal_number,
            level=filed.level,
            appealed_by=last_resolver(ticket),
            filed_at=filed.filed_at,
        )
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.BOT_ANSWERED):
        reopen(ticket, reason=reason, by=filed.traveller.id, now=now, appeal=filed)
    elif ticket.status is not TicketStatus.CLOSED:
        summary = f"Escalated while open: {reason}"
        escalate(ticket, summary, reason=reason, by=filed.traveller.id, now=now, appeal=filed)


def last_resolver(ticket: Ticket) -> str | None:
    """Who made the resolution that stands: the last ``resolved`` step (None for the bot's
    answer, which no person gave)."""
    if ticket.status is TicketStatus.BOT_ANSWERED:
        return None
    return next((e.actor for e in reversed(ticket.timeline) if e.kind == "resolved"), None)


def escalate(
    ticket: Ticket,
    summary: str,
    *,
    reason: str,
    by: str,
    now: datetime,
    appeal: events.AppealFiled | None,
) -> None:
    """Raise the priority, free the ticket for routing and tell everyone it is back."""
    ticket.priority = REOPEN_PRIORITY[ticket.priority]
    ticket.assignee = None
    ticket.last_activity_at = now
    ticket._log(now, "reopened", by, summary)
    ticket.raise_event(
        events.TicketReopened(
            ticket_id=ticket.id,
            traveller=ticket.traveller,
            reason=reason,
            priority=ticket.priority,
            reopened_at=now,
            appeal_id=appeal.appeal_id if appeal else None,
            appeal_number=appeal.appeal_number if appeal else None,
            appeal_level=appeal.level if appeal else None,
        )
    )
