"""What a traveller may see of their ticket: one filter for the tracking page and its JSON.

Pure. Behind the signed link (no login) a traveller sees the status, the team on
it (never an agent's id), when to expect an answer, the steps of their ticket and
the words sent to them. Internal notes, routing's reasons (agent ids, loads, "no
qualified agent available"), SLA alarms, staff notices and every entry's details
stay inside. A step kind is shown only if it is listed here: a new kind is hidden
until someone decides it is for travellers.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.intake.domain import Ticket, TicketStatus

SHOWN = frozenset(
    {
        "received",
        "proactive",
        "disruption_changed",
        "follow_up",
        "acknowledged",
        "routed",
        "bot_answered",
        "replied",
        "resolved",
        "reopened",
        "survey_sent",
        "rated",
        "appealed",
        "appeal_decided",
    }
)
"""Timeline steps a traveller sees (by kind); everything else stays inside."""
SPOKEN = frozenset({"replied", "resolved", "bot_answered"})
"""Steps whose message was sent to the traveller, so it is shown again."""
REOPENABLE = frozenset({TicketStatus.RESOLVED, TicketStatus.BOT_ANSWERED})


class PublicStep(BaseModel):
    at: datetime
    kind: str
    message: str | None = Field(default=None, description="What was sent to the traveller.")


class TrackingView(BaseModel):
    """What the traveller sees behind the signed link."""

    ticket_id: str
    status: TicketStatus
    handled_by: str | None = Field(
        description="The team on it (its queue name), or null while it is being routed."
    )
    agent_assigned: bool = Field(description="A person (never named here) is working on it.")
    expected_answer_by: datetime | None = Field(
        description="When to expect the next answer; null once answered or closed."
    )
    can_say_not_helped: bool = Field(
        description='"That did not help" (POST …/not-helped) reopens it now.'
    )
    timeline: list[PublicStep]


def expected_answer(ticket: Ticket) -> datetime | None:
    if ticket.status in REOPENABLE | {TicketStatus.CLOSED}:
        return None
    if ticket.first_response_at is None:
        return ticket.first_response_due
    return ticket.resolution_due


def public_steps(ticket: Ticket) -> list[PublicStep]:
    return [
        PublicStep(
            at=entry.at,
            kind=entry.kind,
            message=entry.details.get("message") if entry.kind in SPOKEN else None,
        )
        for entry in ticket.timeline
        if entry.kind in SHOWN
    ]


def tracking_view(ticket: Ticket) -> TrackingView:
    return TrackingView(
        ticket_id=ticket.id,
        status=ticket.status,
        handled_by=ticket.queue,
        agent_assigned=ticket.assignee is not None,
        expected_answer_by=expected_answer(ticket),
        can_say_not_helped=ticket.status in REOPENABLE,
        timeline=public_steps(ticket),
    )
