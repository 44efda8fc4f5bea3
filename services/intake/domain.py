"""The ticket: its state machine and its timeline. Pure: no I/O, time is passed in."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts import events
from contracts.events import Channel, Priority, Traveller
from runtime.aggregate import Aggregate


class TicketStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ROUTED = "routed"
    BOT_ANSWERED = "bot_answered"
    ASSIGNED = "assigned"
    WAITING_ON_TRAVELLER = "waiting_on_traveller"
    WAITING_ON_SUPPLIER = "waiting_on_supplier"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.ROUTED, S.BOT_ANSWERED, S.ASSIGNED, S.RESOLVED}),
    S.ROUTED: frozenset({S.ASSIGNED, S.BOT_ANSWERED, S.RESOLVED, S.ROUTED}),
    S.BOT_ANSWERED: frozenset({S.RESOLVED, S.REOPENED}),
    S.ASSIGNED: frozenset(
        {S.WAITING_ON_TRAVELLER, S.WAITING_ON_SUPPLIER, S.RESOLVED, S.ROUTED, S.ASSIGNED}
    ),
    S.WAITING_ON_TRAVELLER: frozenset({S.ASSIGNED, S.RESOLVED}),
    S.WAITING_ON_SUPPLIER: frozenset({S.ASSIGNED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.REOPENED, S.CLOSED}),
    S.REOPENED: frozenset({S.ROUTED, S.ASSIGNED, S.RESOLVED}),
    S.CLOSED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, current: TicketStatus, wanted: TicketStatus) -> None:
        super().__init__(f"a {current.value} ticket cannot become {wanted.value}")
        self.current = current
        self.wanted = wanted


class TimelineEntry(BaseModel):
    """One time-stamped step: what happened, who did it, which service saw it."""

    at: datetime
    kind: str
    actor: str
    service: str
    summary: str
    details: dict[str, str] = Field(default_factory=dict)


def ticket_id_for(tenant_id: str, channel: Channel, channel_message_id: str) -> str:
    """Deterministic id: a redelivered contact maps to the ticket it already opened."""
    digest = hashlib.sha256(f"{tenant_id}\x1f{channel}\x1f{channel_message_id}".encode()).digest()
    return "TC-" + base64.b32encode(digest[:10]).decode()[:12]


class Ticket(Aggregate):
    channel: Channel
    channel_message_id: str
    traveller: Traveller
    subject: str | None = None
    text: str
    status: TicketStatus = TicketStatus.NEW
    priority: Priority = Priority.NORMAL
    queue: str | None = None
    assignee: str | None = None
    opened_at: datetime
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None
    resolution_code: str | None = None
    resolution_count: int = 0
    timeline: list[TimelineEntry] = Field(default_factory=list)

    @classmethod
    def open(
        cls, tenant_id: str, contact: events.ContactReceived, *, tracking_url: str, now: datetime
    ) -> Ticket:
        """A new ticket, acknowledged at once (the traveller hears from us immediately)."""
        ticket = cls(
            id=ticket_id_for(tenant_id, contact.channel, contact.channel_message_id),
            tenant_id=tenant_id,
            channel=contact.channel,
            channel_message_id=contact.channel_message_id,
            traveller=contact.traveller,
            subject=contact.subject,
            text=contact.text,
            opened_at=now,
        )
        ticket._log(
            now,
            "received",
            contact.traveller.id,
            "intake",
            f"Contact received on {contact.channel.value}",
            channel_message_id=contact.channel_message_id,
        )
        ticket.raise_event(
            events.TicketOpened(
                ticket_id=ticket.id,
                channel=ticket.channel,
                traveller=ticket.traveller,
                subject=ticket.subject,
                text=ticket.text,
                priority=ticket.priority,
                opened_at=now,
            )
        )
        ticket._move(TicketStatus.ACKNOWLEDGED)
        ticket.acknowledged_at = now
        ticket._log(now, "acknowledged", "intake", "intake", "Acknowledgement sent to traveller")
        ticket.raise_event(
            events.TicketAcknowledged(
                ticket_id=ticket.id,
                channel=ticket.channel,
                traveller=ticket.traveller,
                tracking_url=tracking_url,
                acknowledged_at=now,
            )
        )
        return ticket

    def apply_routing(self, routed: events.TicketRouted) -> None:
        """Take routing's decision; a late decision for a closed-out ticket is only logged."""
        self.queue = routed.queue
        self.assignee = routed.assignee
        self.priority = routed.priority
        self.first_response_due = routed.first_response_due
        self.resolution_due = routed.resolution_due
        target = TicketStatus.ASSIGNED if routed.assignee else TicketStatus.ROUTED
        if target in TRANSITIONS[self.status]:
            self._move(target)
        self._log(
            routed.routed_at,
            "routed",
            "routing",
            "routing",
            f"Routed to {routed.queue} ({routed.priority.value})",
            reason=routed.reason,
            first_response_due=routed.first_response_due.isoformat(),
            resolution_due=routed.resolution_due.isoformat(),
        )

    def resolve(self, *, code: str, message: str, agent: str, now: datetime) -> None:
        self._move(TicketStatus.RESOLVED)
        self.resolved_at = now
        self.resolution_code = code
        self.resolution_count += 1
        if self.first_response_at is None:
            self.first_response_at = now
        self._log(now, "resolved", agent, "intake", f"Resolved: {code}", message=message)
        self.raise_event(
            events.TicketResolved(
                ticket_id=self.id,
                channel=self.channel,
                traveller=self.traveller,
                resolution_code=code,
                message=message,
                resolved_by=agent,
                opened_at=self.opened_at,
                first_response_at=self.first_response_at,
                resolved_at=now,
                resolution_count=self.resolution_count,
            )
        )

    def record_notification(self, delivered: events.NotificationDelivered) -> None:
        self._log(
            delivered.delivered_at,
            "notified",
            "notify",
            "notify",
            f"{delivered.template} delivered via {delivered.channel}",
            recipient=delivered.recipient,
            language=delivered.language,
        )

    def record_notification_failure(self, failed: events.NotificationFailed) -> None:
        self._log(
            failed.failed_at,
            "notification_failed",
            "notify",
            "notify",
            f"{failed.template} failed via {failed.channel} after {failed.attempts} attempts",
            error=failed.error,
        )

    def record_survey(self, sent: events.SurveySent) -> None:
        self._log(sent.sent_at, "survey_sent", "feedback", "feedback", "Satisfaction survey sent")

    def record_feedback(self, received: events.FeedbackReceived) -> None:
        scores = {
            name: str(value)
            for name, value in (("csat", received.csat), ("nps", received.nps))
            if value is not None
        }
        summary = ", ".join(f"{k.upper()} {v}" for k, v in scores.items()) or "Feedback"
        self._log(
            received.received_at,
            "rated",
            self.traveller.id,
            "feedback",
            f"Traveller rated: {summary}",
            **scores,
        )

    def _move(self, to: TicketStatus) -> None:
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, to)
        self.status = to

    def _log(
        self, at: datetime, kind: str, actor: str, service: str, summary: str, **details: str
    ) -> None:
        self.timeline.append(
            TimelineEntry(
                at=at, kind=kind, actor=actor, service=service, summary=summary, details=details
            )
        )
        self.timeline.sort(key=lambda entry: entry.at)
