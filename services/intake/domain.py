"""The ticket: its state machine, threading of follow-ups, agent actions and timeline.

Pure: no I/O, time is passed in. Every change raises the integration events the
other services react to and appends a time-stamped timeline entry.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from contracts import events
from contracts.events import (
    REPLY_CHANNEL_OF,
    BookingReference,
    Channel,
    Priority,
    ReferenceKind,
    Traveller,
)
from runtime.aggregate import Aggregate
from services.intake import sla


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
WAITING = frozenset({S.WAITING_ON_TRAVELLER, S.WAITING_ON_SUPPLIER})
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.ROUTED, S.BOT_ANSWERED, S.ASSIGNED, S.RESOLVED, S.CLOSED}),
    S.ROUTED: frozenset({S.ROUTED, S.ASSIGNED, S.BOT_ANSWERED, S.RESOLVED, S.CLOSED}),
    S.BOT_ANSWERED: frozenset({S.RESOLVED, S.REOPENED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.ROUTED, S.ASSIGNED, *WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING_ON_TRAVELLER: frozenset({S.ASSIGNED, S.ROUTED, S.RESOLVED, S.CLOSED}),
    S.WAITING_ON_SUPPLIER: frozenset({S.ASSIGNED, S.ROUTED, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.REOPENED, S.CLOSED}),
    S.REOPENED: frozenset({S.ROUTED, S.ASSIGNED, S.RESOLVED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
"""Allowed moves; anything else is an ``IllegalTransition`` (HTTP 409) and changes nothing."""

ANSWERABLE = frozenset({S.ACKNOWLEDGED, S.ROUTED, S.BOT_ANSWERED, S.ASSIGNED, *WAITING, S.REOPENED})
REOPEN_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}
MAX_TEXT_KEPT = 4_000


class IllegalTransition(Exception):
    def __init__(self, current: TicketStatus, wanted: str) -> None:
        super().__init__(f"a {current.value} ticket cannot {wanted}")
        self.current = current


class TimelineEntry(BaseModel):
    """One time-stamped step: what happened, who did it, which service saw it."""

    at: datetime
    kind: str
    actor: str
    service: str
    summary: str
    details: dict[str, str] = Field(default_factory=dict)


class ContactRecord(BaseModel):
    """One message the traveller sent into this ticket."""

    contact_id: str
    channel: Channel
    channel_message_id: str
    text: str
    received_at: datetime


class TicketAttachment(BaseModel):
    """A file on the ticket: stored by intake (``id``: staff download it), only linked
    (``url``: the gateway keeps it), or refused (neither: the type or size was not accepted).
    """

    id: str | None = None
    name: str
    content_type: str
    size: int
    url: str | None = None
    source: str = Field(description="traveller or agent")
    by: str
    added_at: datetime
    contact_id: str | None = None

    @property
    def refused(self) -> bool:
        return self.id is None and self.url is None


def contact_id_for(tenant_id: str, channel: Channel, channel_message_id: str) -> str:
    """The identity of one channel message: a redelivery has the same one."""
    digest = hashlib.sha256(f"{tenant_id}\x1f{channel}\x1f{channel_message_id}".encode())
    return digest.hexdigest()[:32]


def ticket_id_for(tenant_id: str, thread_key: str, generation: int = 1) -> str:
    """Deterministic ticket id of the ``generation``-th ticket of one conversation.

    Two deliveries racing to open the same conversation compute the same id, so
    only one insert can win: one ticket per conversation, whatever the order.
    """
    raw = f"{tenant_id}\x1f{thread_key}\x1f{generation}".encode()
    return "TC-" + base64.b32encode(hashlib.sha256(raw).digest()[:10]).decode()[:12]


def thread_key_for(contact: events.ContactReceived) -> str:
    """The conversation a contact belongs to; a contact without one is its own."""
    if contact.conversation_key:
        return f"{contact.channel.value}:{contact.conversation_key}"
    return f"{contact.channel.value}:msg:{contact.channel_message_id}"


PROACTIVE_REFERENCE_KINDS = {"flight": ReferenceKind.FLIGHT, "train": ReferenceKind.TRAIN}


def proactive_thread_key(incident_id: str, traveller_id: str) -> str:
    """One proactive ticket per traveller and incident, however many bookings it hits."""
    return f"proactive:{incident_id}:{traveller_id}"


def _answered_where_they_wrote(traveller: Traveller, channel: Channel) -> Traveller:
    """Without a stated preference, the reply goes back through the channel they used."""
    if traveller.preferred_channel is not None or traveller.fallback_channels:
        return traveller
    return traveller.model_copy(update={"preferred_channel": REPLY_CHANNEL_OF[channel]})


def _skipped(channels: list[events.SkippedChannel]) -> str:
    """``wecom skipped: no wecom gateway configured``: channels notify could not use."""
    return "; ".join(f"{c.channel} skipped: {c.reason}" for c in channels)


class Ticket(Aggregate):
    channel: Channel
    traveller: Traveller
    subject: str | None = None
    text: str
    language: str | None = None
    status: TicketStatus = TicketStatus.NEW
    priority: Priority = Priority.NORMAL
    category: str | None = None
    category_hint: str | None = None
    urgency: str | None = Field(default=None, description="As routing's classifier read it.")
    queue: str | None = None
    assignee: str | None = None
    thread_key: str
    generation: int = 1
    conversation_keys: list[str] = Field(default_factory=list)
    contact_ids: list[str] = Field(default_factory=list)
    contacts: list[ContactRecord] = Field(default_factory=list)
    references: list[BookingReference] = Field(default_factory=list)
    reference_values: list[str] = Field(default_factory=list)
    repeat_contacts: int = 0
    opened_at: datetime
    opened_us: int = Field(description="Open time in microseconds: exact sort and cursor key.")
    last_activity_at: datetime
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    escalated_at: datetime | None = Field(
        default=None, description="Last SLA escalation applied: older routing decisions yield."
    )
    resolved_at: datetime | None = None
    resolution_code: str | None = None
    resolution_count: int = 0
    merged_into: str | None = None
    absorbed: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    attachments: list[TicketAttachment] = Field(default_factory=list)
    origin: str = Field(default="contact", description="contact, or proactive (a disruption).")
    incident_id: str | None = None
    incident_revision: int = 0

    @classmethod
    def open(
        cls,
        tenant_id: str,
        contact: events.ContactReceived,
        *,
        contact_id: str,
        generation: int,
        language: str | None,
        tracking_url: str,
        now: datetime,
    ) -> Ticket:
        """A new ticket, acknowledged at once (the traveller hears from us immediately)."""
        thread_key = thread_key_for(contact)
        traveller = contact.traveller
        if language and traveller.detected_language is None:
            traveller = traveller.model_copy(update={"detected_language": language})
        traveller = _answered_where_they_wrote(traveller, contact.channel)
        ticket = cls(
            id=ticket_id_for(tenant_id, thread_key, generation),
            tenant_id=tenant_id,
            channel=contact.channel,
            traveller=traveller,
            subject=contact.subject,
            text=contact.text[:MAX_TEXT_KEPT],
            language=language,
            category_hint=contact.category_hint,
            thread_key=thread_key,
            generation=generation,
            conversation_keys=[thread_key],
            references=list(contact.references),
            reference_values=sorted({r.value for r in contact.references}),
            opened_at=now,
            opened_us=int(now.timestamp() * 1_000_000),
            last_activity_at=now,
        )
        ticket._remember(contact, contact_id)
        ticket._log(
            now,
            "received",
            contact.traveller.id,
            f"Contact received on {contact.channel.value}",
            channel_message_id=contact.channel_message_id,
        )
        ticket._announce_opening(now)
        ticket._move(TicketStatus.ACKNOWLEDGED, "be acknowledged")
        ticket.acknowledged_at = now
        ticket._log(now, "acknowledged", "intake", "Acknowledgement sent to traveller")
        ticket.raise_event(
            events.TicketAcknowledged(
                ticket_id=ticket.id,
                channel=ticket.channel,
                traveller=ticket.traveller,
                tracking_url=tracking_url,
                acknowledged_at=now,
                email_message_id=contact.channel_message_id
                if contact.channel is Channel.EMAIL
                else None,
            )
        )
        return ticket

    @classmethod
    def open_proactive(
        cls,
        tenant_id: str,
        request: events.ProactiveContactRequested,
        *,
        tracking_url: str,
        now: datetime,
    ) -> Ticket:
        """A ticket TripCare opens for a traveller a disruption hits: they hear from us first.

        One per traveller and incident (deterministic id); the proactive notice
        stands in for the acknowledgement.
        """
        thread_key = proactive_thread_key(request.incident_id, request.traveller.id)
        traveller = _answered_where_they_wrote(request.traveller, request.channel)
        references = [BookingReference(kind=ReferenceKind.ORDER, value=request.booking_id)]
        if kind := PROACTIVE_REFERENCE_KINDS.get(request.resource):
            references.insert(0, BookingReference(kind=kind, value=request.reference))
        ticket = cls(
            id=ticket_id_for(tenant_id, thread_key),
            tenant_id=tenant_id,
            channel=request.channel,
            traveller=traveller,
            subject=request.summary,
            text=request.summary,
            language=traveller.language,
            priority=request.priority,
            thread_key=thread_key,
            conversation_keys=[thread_key],
            references=references,
            reference_values=sorted({r.value for r in references}),
            opened_at=now,
            opened_us=int(now.timestamp() * 1_000_000),
            last_activity_at=now,
            origin="proactive",
            incident_id=request.incident_id,
        )
        ticket._log(
            now,
            "proactive",
            "routing",
            f"Opened proactively: {request.summary}",
            service="routing",
            incident_id=request.incident_id,
            booking_id=request.booking_id,
        )
        ticket._announce_opening(now)
        ticket._move(TicketStatus.ACKNOWLEDGED, "be acknowledged")
        ticket.acknowledged_at = now
        ticket._tell_disruption(request, tracking_url, now)
        return ticket

    def _announce_opening(self, now: datetime) -> None:
        self.raise_event(
            events.TicketOpened(
                ticket_id=self.id,
                channel=self.channel,
                traveller=self.traveller,
                subject=self.subject,
                text=self.text,
                language=self.language,
                priority=self.priority,
                conversation_key=self.thread_key,
                references=self.references,
                category_hint=self.category_hint,
                proactive=self.origin == "proactive",
                opened_at=now,
                incident_id=self.incident_id,
            )
        )

    def disruption_changed(
        self, request: events.ProactiveContactRequested, *, tracking_url: str, now: datetime
    ) -> None:
        """A material change of the disruption: the traveller hears again, once per revision."""
        if request.revision <= self.incident_revision:
            return
        self._log(
            now,
            "disruption_changed",
            "routing",
            f"Disruption changed: {request.summary}",
            service="routing",
            revision=str(request.revision),
        )
        self._tell_disruption(request, tracking_url, now)

    def link_incident(self, linked: events.IncidentLinked) -> None:
        """Routing clustered this contact into an open incident (bulk replies reach it)."""
        self.incident_id = self.incident_id or linked.incident_id
        self._log(
            linked.linked_at,
            "incident_linked",
            "routing",
            f"Linked to incident {linked.incident_id} ({linked.reference})",
            service="routing",
        )

    def _tell_disruption(
        self, request: events.ProactiveContactRequested, tracking_url: str, now: datetime
    ) -> None:
        self.incident_revision = request.revision
        self.last_activity_at = now
        self._log(now, "proactive_notice", "intake", f"Proactive notice {request.revision} sent")
        self.raise_event(
            events.DisruptionNotice(
                ticket_id=self.id,
                incident_id=request.incident_id,
                revision=request.revision,
                channel=self.channel,
                traveller=self.traveller,
                kind=request.kind,
                reference=request.reference,
                service_date=request.service_date,
                departs_at=request.departs_at,
                next_step=request.next_step,
                details=request.details,
                tracking_url=tracking_url,
                sent_at=now,
            )
        )

    def knows_contact(self, contact_id: str) -> bool:
        return contact_id in self.contact_ids

    def accepts_follow_up(self, now: datetime, reopen_window: timedelta) -> bool:
        """Open tickets take follow-ups; resolved ones only within the reopen window."""
        if self.status is TicketStatus.CLOSED:
            return False
        if self.status is TicketStatus.RESOLVED:
            return self.resolved_at is not None and now - self.resolved_at <= reopen_window
        return True

    def follow_up(self, contact: events.ContactReceived, contact_id: str, now: datetime) -> None:
        """The traveller wrote again: a repeat contact; it reopens a resolved ticket."""
        self._remember(contact, contact_id)
        self.repeat_contacts += 1
        key = thread_key_for(contact)
        if key not in self.conversation_keys:
            self.conversation_keys.append(key)
        for reference in contact.references:
            if reference not in self.references:
                self.references.append(reference)
        self.reference_values = sorted({r.value for r in self.references})
        self._log(
            now,
            "follow_up",
            contact.traveller.id,
            f"Follow-up on {contact.channel.value} (repeat contact {self.repeat_contacts})",
            channel_message_id=contact.channel_message_id,
        )
        self.raise_event(
            events.TicketFollowedUp(
                ticket_id=self.id,
                channel=contact.channel,
                traveller=self.traveller,
                text=contact.text[:MAX_TEXT_KEPT],
                repeat_contacts=self.repeat_contacts,
                received_at=now,
            )
        )
        if self.status in (TicketStatus.RESOLVED, TicketStatus.BOT_ANSWERED):
            self.reopen(reason="traveller wrote again", by=contact.traveller.id, now=now)
        elif self.status is TicketStatus.WAITING_ON_TRAVELLER:
            self._change_status(TicketStatus.ASSIGNED, by=contact.traveller.id, now=now)

    def apply_routing(self, routed: events.TicketRouted) -> None:
        """Take routing's decision; a late decision for a closed-out ticket is only logged.

        A decision older than the last SLA escalation (it arrived late, on its
        own queue) does not move the ticket back to its old queue and priority.
        """
        if self.escalated_at is None or routed.routed_at >= self.escalated_at:
            self.priority = routed.priority
            self._place(routed.queue, routed.assignee)
        self.category = routed.category or self.category
        self.urgency = routed.urgency or self.urgency
        self.first_response_due = routed.first_response_due
        self.resolution_due = routed.resolution_due
        self._log(
            routed.routed_at,
            "routed",
            "routing",
            f"Routed to {routed.queue} ({routed.priority.value})",
            service="routing",
            queue=routed.queue,
            reason=routed.reason,
            first_response_due=routed.first_response_due.isoformat(),
            resolution_due=routed.resolution_due.isoformat(),
        )

    def bot_answer(self, answered: events.TicketBotAnswered) -> None:
        """Routing's bot answered from the knowledge base: that is the first response, and
        the ticket waits as bot-answered until the traveller says it did not help.

        An answer that arrives after a person took the ticket over is only logged.
        """
        self.category = answered.category or self.category
        if self.status in (TicketStatus.ACKNOWLEDGED, TicketStatus.ROUTED):
            self._move(TicketStatus.BOT_ANSWERED, "be answered by the bot")
            self.first_response_at = self.first_response_at or answered.answered_at
            self.last_activity_at = max(self.last_activity_at, answered.answered_at)
        self._log(
            answered.answered_at,
            "bot_answered",
            "routing",
            f"Bot answered with article {answered.article_id}: {answered.title}",
            service="routing",
            article_id=answered.article_id,
            language=answered.language,
            confidence=f"{answered.confidence:.3f}",
            reason=answered.reason,
            message=answered.answer[:500],
        )

    def reply(
        self,
        *,
        message: str,
        agent: str,
        now: datetime,
        attachments: Sequence[events.Attachment] = (),
    ) -> None:
        """An agent answers the traveller on their channel; the first answer stops FRT.

        ``attachments`` are stored files with the traveller's signed links.
        """
        if self.status not in ANSWERABLE:
            raise IllegalTransition(self.status, "be replied to")
        first = self.first_response_at is None
        if first:
            self.first_response_at = now
        if self.status in (TicketStatus.ROUTED, TicketStatus.ACKNOWLEDGED, TicketStatus.REOPENED):
            self.assignee = self.assignee or agent
            self._move(TicketStatus.ASSIGNED, "be replied to")
        self.last_activity_at = now
        files = {"files": ", ".join(a.name for a in attachments)} if attachments else {}
        self._log(
            now, "replied", agent, "Agent replied to traveller", message=message[:500], **files
        )
        self._attach(attachments, source="agent", by=agent, now=now)
        self.raise_event(
            events.TicketReplied(
                ticket_id=self.id,
                channel=self.channel,
                traveller=self.traveller,
                message=message,
                author=agent,
                language=self.language,
                first_response=first,
                replied_at=now,
                attachments=list(attachments),
            )
        )

    def note(self, *, text: str, agent: str, now: datetime) -> None:
        """An internal note: on the timeline for agents, never sent to the traveller."""
        if self.status is TicketStatus.CLOSED:
            raise IllegalTransition(self.status, "take notes")
        self._log(now, "note", agent, "Internal note", text=text)

    def transfer(
        self, *, queue: str | None, assignee: str | None, reason: str | None, by: str, now: datetime
    ) -> None:
        target = TicketStatus.ASSIGNED if assignee else TicketStatus.ROUTED
        self._move(target, f"be transferred (it is {self.status.value})")
        event = events.TicketTransferred(
            ticket_id=self.id,
            from_queue=self.queue,
            to_queue=queue or self.queue,
            from_assignee=self.assignee,
            to_assignee=assignee,
            by=by,
            reason=reason,
            transferred_at=now,
        )
        self.queue = event.to_queue
        self.assignee = assignee
        self.last_activity_at = now
        self._log(
            now,
            "transferred",
            by,
            f"Transferred to {assignee or self.queue}",
            **({"reason": reason} if reason else {}),
        )
        self.raise_event(event)

    def wait(self, *, on: str, by: str, now: datetime) -> None:
        """Park the ticket waiting on the traveller or a supplier (SLA clocks follow)."""
        target = {
            "traveller": TicketStatus.WAITING_ON_TRAVELLER,
            "supplier": TicketStatus.WAITING_ON_SUPPLIER,
        }[on]
        self._change_status(target, by=by, now=now)

    def resume(self, *, by: str, now: datetime) -> None:
        if self.status not in WAITING:
            raise IllegalTransition(self.status, "resume (it is not waiting)")
        self._change_status(TicketStatus.ASSIGNED, by=by, now=now)

    def resolve(self, *, code: str, message: str, agent: str, now: datetime) -> None:
        self._move(TicketStatus.RESOLVED, "be resolved")
        self.resolved_at = now
        self.resolution_code = code
        self.resolution_count += 1
        self.last_activity_at = now
        if self.first_response_at is None:
            self.first_response_at = now
        self._log(now, "resolved", agent, f"Resolved: {code}", message=message)
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

    def reopen(
        self, *, reason: str, by: str, now: datetime, appeal: events.AppealFiled | None = None
    ) -> None:
        """Back to a human with a raised priority (a follow-up, "did not help", an appeal)."""
        self._move(TicketStatus.REOPENED, "be reopened")
        self._escalate(f"Reopened: {reason}", reason=reason, by=by, now=now, appeal=appeal)

    def appeal(self, filed: events.AppealFiled, *, now: datetime) -> None:
        """The traveller appealed the result: reopen it, raised, for the appeal's reviewer.

        Feedback only accepts appeals of resolved tickets, but a follow-up may
        have reopened the ticket meanwhile: then it is escalated where it is, so
        routing still hands it to the reviewer. A closed ticket cannot reopen;
        the appeal is only logged (feedback refuses those up front).
        """
        self._log(
            filed.filed_at,
            "appealed",
            filed.traveller.id,
            f"Appeal {filed.appeal_number} filed ({filed.level.value}): {filed.reason[:200]}",
            service="feedback",
            appeal_id=filed.appeal_id,
            reason=filed.reason[:500],
        )
        reason = f"appeal: {filed.reason[:200]}"
        if self.status in (TicketStatus.RESOLVED, TicketStatus.BOT_ANSWERED):
            self.reopen(reason=reason, by=filed.traveller.id, now=now, appeal=filed)
        elif self.status is not TicketStatus.CLOSED:
            summary = f"Escalated while open: {reason}"
            self._escalate(summary, reason=reason, by=filed.traveller.id, now=now, appeal=filed)

    def record_sla_warning(self, warning: events.SlaWarning) -> None:
        """Routing's warning that a clock is running out: on the timeline, nothing else."""
        self._log(
            warning.warned_at,
            "sla_warning",
            "routing",
            sla.warning_summary(warning),
            service="routing",
            clock=warning.clock.value,
            deadline=warning.deadline.isoformat(),
            target_seconds=str(warning.target_seconds),
        )

    def escalate_on_breach(self, breached: events.SlaBreached) -> None:
        """Routing escalated a breached clock: follow its priority, queue and assignee.

        The priority only ever rises (an agent's or an appeal's raise stands);
        a breach older than the last one applied, or one arriving after the
        ticket was resolved or closed, is only logged.
        """
        newer = self.escalated_at is None or breached.breached_at >= self.escalated_at
        if newer and self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            self.escalated_at = breached.breached_at
            self.priority = sla.higher(self.priority, breached.priority)
            if breached.queue or breached.assignee:
                self._place(breached.queue or self.queue, breached.assignee)
        self._log(
            breached.breached_at,
            "sla_breached",
            "routing",
            sla.breach_summary(breached),
            service="routing",
            clock=breached.clock.value,
            level=breached.level.value,
            priority=breached.priority.value,
            deadline=breached.deadline.isoformat(),
        )

    def record_appeal_decision(self, decided: events.AppealResolved) -> None:
        self._log(
            decided.decided_at,
            "appeal_decided",
            decided.decided_by,
            f"Appeal {decided.appeal_number} decided: {decided.outcome}",
            service="feedback",
            appeal_id=decided.appeal_id,
        )

    def _escalate(
        self,
        summary: str,
        *,
        reason: str,
        by: str,
        now: datetime,
        appeal: events.AppealFiled | None,
    ) -> None:
        """Raise the priority, free the ticket for routing and tell everyone it is back."""
        self.priority = REOPEN_PRIORITY[self.priority]
        self.assignee = None
        self.last_activity_at = now
        self._log(now, "reopened", by, summary)
        self.raise_event(
            events.TicketReopened(
                ticket_id=self.id,
                traveller=self.traveller,
                reason=reason,
                priority=self.priority,
                reopened_at=now,
                appeal_id=appeal.appeal_id if appeal else None,
                appeal_number=appeal.appeal_number if appeal else None,
                appeal_level=appeal.level if appeal else None,
            )
        )

    def close(self, *, by: str, now: datetime) -> None:
        self._change_status(TicketStatus.CLOSED, by=by, now=now)

    def merge_into(self, target: Ticket, *, by: str, now: datetime) -> None:
        """Fold this duplicate into ``target``: it closes and points there."""
        if target.id == self.id or target.status is TicketStatus.CLOSED:
            raise IllegalTransition(self.status, f"be merged into {target.id}")
        self._change_status(TicketStatus.CLOSED, by=by, now=now)
        self.merged_into = target.id
        self._log(now, "merged", by, f"Merged into {target.id}")
        self.raise_event(
            events.TicketMerged(ticket_id=self.id, into_ticket_id=target.id, by=by, merged_at=now)
        )

    def absorb(self, duplicate: Ticket, *, by: str, now: datetime) -> None:
        """Take over a duplicate's conversations, so its follow-ups land here."""
        for key in duplicate.conversation_keys:
            if key not in self.conversation_keys:
                self.conversation_keys.append(key)
        self.contact_ids.extend(c for c in duplicate.contact_ids if c not in self.contact_ids)
        self.contacts.extend(duplicate.contacts)
        self.repeat_contacts += len(duplicate.contacts)
        self.absorbed.append(duplicate.id)
        self._log(now, "merged", by, f"Absorbed duplicate {duplicate.id}")

    def record_notification(self, delivered: events.NotificationDelivered) -> None:
        skipped = _skipped(delivered.skipped)
        self._log(
            delivered.delivered_at,
            "notified",
            "notify",
            f"{delivered.template} delivered via {delivered.channel}"
            + (f" ({skipped}; fell back to {delivered.channel})" if skipped else ""),
            service="notify",
            recipient=delivered.recipient,
            language=delivered.language,
            **({"skipped": skipped} if skipped else {}),
        )

    def record_notification_failure(self, failed: events.NotificationFailed) -> None:
        skipped = _skipped(failed.skipped)
        self._log(
            failed.failed_at,
            "notification_failed",
            "notify",
            f"{failed.template} failed via {failed.channel} after {failed.attempts} attempts"
            + (f" ({skipped})" if skipped else ""),
            service="notify",
            error=failed.error,
            **({"skipped": skipped} if skipped else {}),
        )

    def record_survey(self, sent: events.SurveySent) -> None:
        self._log(
            sent.sent_at, "survey_sent", "feedback", "Satisfaction survey sent", service="feedback"
        )

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
            f"Traveller rated: {summary}",
            service="feedback",
            **scores,
        )

    def _attach(
        self,
        attachments: Sequence[events.Attachment],
        *,
        source: str,
        by: str,
        now: datetime,
        contact_id: str | None = None,
    ) -> None:
        for attachment in attachments:
            kept = TicketAttachment(
                **attachment.model_dump(exclude={"url"}),
                url=attachment.url if attachment.id is None else None,
                source=source,
                by=by,
                added_at=now,
                contact_id=contact_id,
            )
            self.attachments.append(kept)
            if kept.refused:
                summary = f"Attachment not kept: {kept.name} ({kept.content_type}, {kept.size} B)"
                self._log(now, "attachment_refused", by, summary)

    def _remember(self, contact: events.ContactReceived, contact_id: str) -> None:
        self._attach(
            contact.attachments,
            source="traveller",
            by=contact.traveller.id,
            now=contact.received_at,
            contact_id=contact_id,
        )
        self.contact_ids.append(contact_id)
        self.contacts.append(
            ContactRecord(
                contact_id=contact_id,
                channel=contact.channel,
                channel_message_id=contact.channel_message_id,
                text=contact.text[:MAX_TEXT_KEPT],
                received_at=contact.received_at,
            )
        )

    def _change_status(self, to: TicketStatus, *, by: str, now: datetime) -> None:
        before = self.status
        self._move(to, f"become {to.value}")
        self.last_activity_at = now
        self._log(now, "status", by, f"{before.value} → {to.value}")
        self.raise_event(
            events.TicketStatusChanged(
                ticket_id=self.id,
                from_status=before.value,
                to_status=to.value,
                by=by,
                changed_at=now,
            )
        )

    def _place(self, queue: str | None, assignee: str | None) -> None:
        """Where routing put the ticket; a waiting or closed-out ticket keeps its status."""
        self.queue = queue
        self.assignee = assignee
        target = TicketStatus.ASSIGNED if assignee else TicketStatus.ROUTED
        if target in TRANSITIONS[self.status] and self.status not in WAITING:
            self.status = target

    def _move(self, to: TicketStatus, wanted: str) -> None:
        if to not in TRANSITIONS[self.status]:
            raise IllegalTransition(self.status, wanted)
        self.status = to

    def _log(
        self,
        at: datetime,
        kind: str,
        actor: str,
        summary: str,
        *,
        service: str = "intake",
        **details: str,
    ) -> None:
        self.timeline.append(
            TimelineEntry(
                at=at, kind=kind, actor=actor, service=service, summary=summary, details=details
            )
        )
        self.timeline.sort(key=lambda entry: entry.at)
