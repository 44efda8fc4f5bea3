"""A ticket's life as intake publishes it: opened, followed up, answered, moved, closed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.events.values import (
    AppealLevel,
    Attachment,
    BookingReference,
    Channel,
    Priority,
    Traveller,
)


class TicketOpened(Event):
    schema_name: ClassVar[str] = "ticket.opened"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    subject: str | None = None
    text: str
    language: str | None = Field(default=None, description="Language the contact is written in.")
    priority: Priority = Priority.NORMAL
    conversation_key: str | None = None
    references: list[BookingReference] = Field(default_factory=list)
    category_hint: str | None = None
    proactive: bool = Field(default=False, description="Opened by TripCare, not the traveller.")
    quiet: bool = Field(
        default=False,
        description="Opened by list or bulk mail, or by mail whose sender asked for no "
        "automatic answer (X-Auto-Response-Suppress): no automatic answer goes back to it "
        "(RFC 3834): no acknowledgement, routing notice or bot answer.",
    )
    opened_at: datetime
    incident_id: str | None = Field(
        default=None, description="The supplier disruption a proactive ticket was opened for."
    )


class TicketFollowedUp(Event):
    """The traveller wrote again about an open ticket (a repeat contact)."""

    schema_name: ClassVar[str] = "ticket.followed_up"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    text: str
    repeat_contacts: int = Field(ge=1, description="Follow-ups so far, this one included.")
    received_at: datetime


class TicketReplied(Event):
    """An agent (or the bot) answered the traveller; notify delivers it on their channel."""

    schema_name: ClassVar[str] = "ticket.replied"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    message: str
    author: str
    assignee: str | None = Field(
        default=None,
        description="Who holds the ticket after this reply, as intake decided: the first "
        "reply to a ticket nobody held (a bot-answered one too) makes its author the "
        "assignee, a later one leaves it. Routing follows it, whichever reply reaches routing "
        "first: it takes over a bot-answered case (None on older events: the author), and "
        "gives a case waiting in its queue to it (None: the case waits on).",
    )
    language: str | None = None
    first_response: bool
    replied_at: datetime
    attachments: list[Attachment] = Field(
        default_factory=list,
        max_length=10,
        description="Files the agent attached; ``url`` is a signed link the traveller may open.",
    )


class TicketTransferred(Event):
    """An agent moved the ticket; routing learns from it as a correction, and notify tells
    the agent it was transferred to (not a queue: nobody holds it yet)."""

    schema_name: ClassVar[str] = "ticket.transferred"

    ticket_id: str
    from_queue: str | None
    to_queue: str | None
    from_assignee: str | None
    to_assignee: str | None
    by: str
    reason: str | None = None
    transferred_at: datetime
    priority: Priority | None = Field(
        default=None, description="The ticket's priority, for the notice to ``to_assignee``."
    )
    traveller: Traveller | None = Field(
        default=None, description="Who wrote in, for the notice to ``to_assignee``."
    )


class TicketStatusChanged(Event):
    """Any other status move (waiting, resumed, assigned, closed): SLA clocks follow it."""

    schema_name: ClassVar[str] = "ticket.status_changed"

    ticket_id: str
    from_status: str
    to_status: str
    by: str
    changed_at: datetime
    priority: Priority | None = Field(
        default=None,
        description="The ticket's priority after the move. A close's is final (intake applies "
        "no routing decision after it): routing's case file takes it, so the two agree when "
        "a reopen reaches routing only after the close. None on older events.",
    )


class TicketMerged(Event):
    """A duplicate ticket was folded into another; it is closed and points there."""

    schema_name: ClassVar[str] = "ticket.merged"

    ticket_id: str
    into_ticket_id: str
    by: str
    merged_at: datetime


class TicketAcknowledged(Event):
    schema_name: ClassVar[str] = "ticket.acknowledged"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    tracking_url: str
    acknowledged_at: datetime
    email_message_id: str | None = Field(
        default=None,
        max_length=256,
        description="The e-mail that opened the ticket: notify's acknowledgement answers it.",
    )


class TicketResolved(Event):
    schema_name: ClassVar[str] = "ticket.resolved"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    resolution_code: str
    message: str
    resolved_by: str
    opened_at: datetime
    first_response_at: datetime
    resolved_at: datetime
    resolution_count: int = Field(ge=1, description="1 for the first resolution, 2 after a reopen…")
    appeal_id: str | None = Field(
        default=None,
        description="Set when this resolution decides the appeal under review: the traveller "
        "hears of it as the appeal's outcome.",
    )
    appeal_number: int | None = Field(default=None, ge=1, le=2)
    appeal_level: AppealLevel | None = Field(
        default=None, description="Who reviewed the appeal: expert or support_manager."
    )


class TicketReopened(Event):
    schema_name: ClassVar[str] = "ticket.reopened"

    ticket_id: str
    traveller: Traveller
    reason: str
    priority: Priority
    reopened_at: datetime
    appeal_id: str | None = Field(
        default=None, description="Set when an appeal reopened the ticket: route it as one."
    )
    appeal_number: int | None = Field(default=None, ge=1, le=2)
    appeal_level: AppealLevel | None = Field(
        default=None, description="expert: the expert queue; support_manager: the manager."
    )
