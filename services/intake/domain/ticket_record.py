"""A ticket's state and the steps every change is made of (move, place, log, attach).

``Ticket`` (``domain.ticket``) adds the lifecycle on top; the rule modules
(``reactions``, ``proactive``, ``reopening``) change a ticket through these steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import Field

from contracts import events
from contracts.events import BookingReference, Channel, Priority, Traveller
from contracts.references import canonical_references
from runtime.aggregate import Aggregate
from services.intake.domain.appeal_review import PendingAppeal
from services.intake.domain.identity import thread_key_for
from services.intake.domain.mail_threading import more_cc
from services.intake.domain.records import (
    MAX_TEXT_KEPT,
    ContactRecord,
    DisruptionState,
    TicketAttachment,
    TimelineEntry,
)
from services.intake.domain.status import TRANSITIONS, WAITING, IllegalTransition, TicketStatus


class TicketRecord(Aggregate):
    """What a ticket holds, and the steps every change is made of: move, place, log, attach."""

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
    """The references in the form threading and disruptions match them by
    (``canonical_reference``: ``NH0920`` is ``NH920``); ``references`` keep them as written.
    A ticket stored before that keeps the written ones until a follow-up joins it."""
    repeat_contacts: int = 0
    mail_cc: list[str] = Field(
        default_factory=list,
        description="The Cc of the mails taken into the ticket: they may answer its mail too.",
    )
    opened_at: datetime
    opened_us: int = Field(description="Open time in microseconds: exact sort and cursor key.")
    last_activity_at: datetime
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    business_time_zone: str | None = Field(
        default=None,
        description="The tenant's business time zone routing gave with the deadlines (its SLA "
        "calendar's for the priority, ``time_zone`` on ticket.routed): the tracking page shows "
        "times in it to a traveller without a zone of their own. None: UTC.",
    )
    escalated_at: datetime | None = Field(
        default=None, description="Last SLA escalation applied: older routing decisions yield."
    )
    resolved_at: datetime | None = None
    resolution_code: str | None = None
    resolution_count: int = 0
    pending_appeal: PendingAppeal | None = Field(
        default=None, description="The appeal under review: only its reviewers may decide it."
    )
    merged_into: str | None = None
    absorbed: list[str] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    attachments: list[TicketAttachment] = Field(default_factory=list)
    origin: str = Field(default="contact", description="contact, or proactive (a disruption).")
    quiet: bool = Field(
        default=False,
        description="Opened by list or bulk mail, or by mail whose sender asked for no "
        "automatic answer (X-Auto-Response-Suppress): nothing automatic answers it.",
    )
    incident_id: str | None = None
    incident_revision: int = 0
    disruption: DisruptionState | None = Field(
        default=None, description="A proactive ticket's disruption as its latest revision said."
    )

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
                quiet=self.quiet,
                opened_at=now,
                incident_id=self.incident_id,
            )
        )

    def opened_by(self, contact: events.ContactReceived) -> bool:
        """Whether ``contact`` is the message that opened this ticket (its first), so a
        platform's retry of it is answered with the acknowledgement, whatever came since."""
        first = self.contacts[0] if self.contacts else None
        return first is not None and (first.channel, first.channel_message_id) == (
            contact.channel,
            contact.channel_message_id,
        )

    def knows_contact(self, contact_id: str) -> bool:
        return contact_id in self.contact_ids

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
        self.mail_cc = more_cc(self.mail_cc, contact)
        self.contacts.append(
            ContactRecord(
                contact_id=contact_id,
                channel=contact.channel,
                channel_message_id=contact.channel_message_id,
                text=contact.text[:MAX_TEXT_KEPT],
                received_at=contact.received_at,
            )
        )

    def _join(self, contact: events.ContactReceived) -> None:
        """Take a follow-up's conversation and booking references into the ticket."""
        key = thread_key_for(contact)
        if key not in self.conversation_keys:
            self.conversation_keys.append(key)
        for reference in contact.references:
            if reference not in self.references:
                self.references.append(reference)
        self.reference_values = canonical_references(self.references)

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
                priority=self.priority,
            )
        )

    def _place(self, queue: str | None, assignee: str | None) -> None:
        """Where routing put the ticket; a waiting or closed-out ticket keeps its status. A
        bot-answered one routing put in a queue is routed: routing took it from the bot (a
        disruption joined it), which an agent's transfer to a queue alone may not do."""
        self.queue = queue
        self.assignee = assignee
        target = TicketStatus.ASSIGNED if assignee else TicketStatus.ROUTED
        from_bot = self.status is TicketStatus.BOT_ANSWERED
        if (target in TRANSITIONS[self.status] or from_bot) and self.status not in WAITING:
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
