"""The ticket: its state machine, threading of follow-ups, agent actions and timeline.

Pure: no I/O, time is passed in. Every change raises the integration events the
other services react to and appends a time-stamped timeline entry. What other
services' events do to it is in ``reactions``, proactive care in ``proactive``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from contracts import events
from contracts.events import Channel
from contracts.references import canonical_references
from contracts.text import clipped
from services.intake.domain import language, proactive, reactions, reopening
from services.intake.domain.appeal_review import Decider, check_decider, decided_appeal
from services.intake.domain.automatic import unanswered_because
from services.intake.domain.bounces import bounce_notice, report_title
from services.intake.domain.closing import is_closing
from services.intake.domain.identity import (
    answered_where_they_wrote,
    thread_key_for,
    ticket_id_for,
    with_own_zone,
)
from services.intake.domain.merging import check_merge
from services.intake.domain.records import MAX_TEXT_KEPT
from services.intake.domain.status import (
    ANSWERABLE,
    ANSWERED,
    REOPENABLE,
    TAKEN_BY_REPLY,
    WAITING,
    IllegalTransition,
    TicketStatus,
)
from services.intake.domain.ticket_record import TicketRecord


class Ticket(TicketRecord):
    """The lifecycle: opened, threaded, answered, moved, resolved, reopened, merged."""

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
        traveller = answered_where_they_wrote(traveller, contact.channel)
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
            reference_values=canonical_references(contact.references),
            opened_at=now,
            opened_us=int(now.timestamp() * 1_000_000),
            last_activity_at=now,
            quiet=unanswered_because(contact) is not None,
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
        ticket._acknowledge(contact, tracking_url, now)
        return ticket

    def _acknowledge(
        self, contact: events.ContactReceived, tracking_url: str, now: datetime
    ) -> None:
        """The traveller hears from us at once: the acknowledgement with their tracking link;
        list or bulk mail, or mail whose sender asked for no automatic answer, is not
        answered (RFC 3834), the ticket is taken all the same."""
        self._move(TicketStatus.ACKNOWLEDGED, "be acknowledged")
        self.acknowledged_at = now
        unanswered = unanswered_because(contact)
        if unanswered is not None:
            self._log(now, "acknowledged", "intake", f"Not acknowledged: {unanswered}")
            return
        self._log(now, "acknowledged", "intake", "Acknowledgement sent to traveller")
        self.raise_event(
            events.TicketAcknowledged(
                ticket_id=self.id,
                channel=self.channel,
                traveller=self.traveller,
                tracking_url=tracking_url,
                acknowledged_at=now,
                email_message_id=contact.channel_message_id
                if contact.channel is Channel.EMAIL
                else None,
            )
        )

    def accepts_follow_up(self, now: datetime, reopen_window: timedelta) -> bool:
        """Open tickets take follow-ups; resolved ones only within the reopen window."""
        if self.status is TicketStatus.CLOSED:
            return False
        if self.status is TicketStatus.RESOLVED:
            return self.resolved_at is not None and now - self.resolved_at <= reopen_window
        return True

    def follow_up(
        self,
        contact: events.ContactReceived,
        contact_id: str,
        now: datetime,
        written_in: Sequence[str] = (),
    ) -> None:
        """The traveller wrote again: a repeat contact; it reopens a resolved ticket, and when
        surely written in another language (``written_in``) the ticket speaks it (``language``).
        Closing words ("thanks", 收到) on a resolved ticket only go on its timeline."""
        if self.status in ANSWERED and is_closing(contact):
            reopening.closing_words(self, contact, contact_id, now)
            return
        self._remember(contact, contact_id)
        self.traveller = with_own_zone(self.traveller, contact.traveller, now)
        self.repeat_contacts += 1
        self._join(contact)
        self._log(
            now,
            "follow_up",
            contact.traveller.id,
            f"Follow-up on {contact.channel.value} (repeat contact {self.repeat_contacts})",
            channel_message_id=contact.channel_message_id,
        )
        language.follow_language(self, contact.traveller, written_in, now)
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
        if self.status in REOPENABLE:
            self.reopen(reason="traveller wrote again", by=contact.traveller.id, now=now)
        elif self.status is TicketStatus.WAITING_ON_TRAVELLER:
            self._change_status(TicketStatus.ASSIGNED, by=contact.traveller.id, now=now)

    def record_automatic(
        self, contact: events.ContactReceived, contact_id: str, kind: str, now: datetime
    ) -> None:
        """A bounce of one of our notices, or an auto-reply to one: on the timeline for staff;
        no follow-up, no reopening, nobody answered (RFC 3834). Notify hears of a bounce."""
        self._remember(contact, contact_id)
        what = report_title(contact) if kind == "bounce" else "Automatic reply"
        summary = f"{what} received on {contact.channel.value}: not answered"
        who, said = contact.traveller.id, contact.text[:500]
        self._log(now, kind, who, summary, channel_message_id=contact.channel_message_id, text=said)
        if (bounced := bounce_notice(contact, self.id, now)) is not None:
            self.raise_event(bounced)

    def reply(
        self,
        *,
        message: str,
        agent: str,
        now: datetime,
        attachments: Sequence[events.Attachment] = (),
    ) -> None:
        """An agent answers the traveller on their channel; the first answer stops FRT.

        Answering a ticket nobody holds takes it over (as Zendesk makes the replying agent
        the assignee): a bot-answered one too, which a person now works (routing follows
        on ``ticket.replied``). ``attachments`` are stored files with the traveller's
        signed links.
        """
        if self.status not in ANSWERABLE:
            raise IllegalTransition(self.status, "be replied to")
        first = self.first_response_at is None
        if first:
            self.first_response_at = now
        if self.status in TAKEN_BY_REPLY:
            self.assignee = self.assignee or agent
            self._move(TicketStatus.ASSIGNED, "be replied to")
        self.last_activity_at = now
        files = {"files": ", ".join(a.name for a in attachments)} if attachments else {}
        said = clipped(message, 500)
        self._log(now, "replied", agent, "Agent replied to traveller", message=said, **files)
        self._attach(attachments, source="agent", by=agent, now=now)
        self.raise_event(
            events.TicketReplied(
                ticket_id=self.id,
                channel=self.channel,
                traveller=self.traveller,
                message=message,
                author=agent,
                assignee=self.assignee,
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
        """To another queue or agent. A waiting ticket stays waiting (like routing's own moves,
        ``_place``): the wait is what paused routing's SLA clocks, and only a status change
        (resume) tells routing it is over."""
        target = TicketStatus.ASSIGNED if assignee else TicketStatus.ROUTED
        if self.status not in WAITING:
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
            priority=self.priority,
            traveller=self.traveller,
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
        """Back to work: to its agent, or to its queue when it has none (transferred there
        while waiting)."""
        if self.status not in WAITING:
            raise IllegalTransition(self.status, "resume (it is not waiting)")
        target = TicketStatus.ASSIGNED if self.assignee else TicketStatus.ROUTED
        self._change_status(target, by=by, now=now)

    def check_decider(self, decider: Decider, wanted: str) -> None:
        """Refuse (``NotTheReviewer``) a resolve or close that would decide an appeal the
        caller may not decide (``appeal_review``); call it before the change."""
        check_decider(self.pending_appeal, decider, wanted)

    def resolve(self, *, code: str, message: str, agent: str, now: datetime) -> None:
        """Resolved; a pending appeal is decided by it (feedback takes it as the outcome)."""
        self._move(TicketStatus.RESOLVED, "be resolved")
        decided, self.pending_appeal = self.pending_appeal, None
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
                **decided_appeal(decided),
            )
        )

    def reopen(
        self, *, reason: str, by: str, now: datetime, appeal: events.AppealFiled | None = None
    ) -> None:
        """Back to a human with a raised priority (``reopening``)."""
        reopening.reopen(self, reason=reason, by=by, now=now, appeal=appeal)

    def appeal(self, filed: events.AppealFiled, *, now: datetime) -> None:
        reopening.appeal(self, filed, now=now)

    def close(self, *, by: str, now: datetime) -> None:
        """Closed for good; a pending appeal is decided by it (as ``closed``)."""
        self._change_status(TicketStatus.CLOSED, by=by, now=now)
        self.pending_appeal = None

    def merge_into(
        self, target: Ticket, *, by: str, now: datetime, role: str | None = None
    ) -> None:
        """Fold this duplicate into ``target``, a ticket it may join (``merging``): it
        closes and points there. Given the person's ``role``, one under appeal only by
        the appeal's reviewers (``appeal_review``).
        """
        if role is not None:
            self.check_decider(Decider(by, role), "merge")
        check_merge(self, target)
        self._change_status(TicketStatus.CLOSED, by=by, now=now)
        self.pending_appeal = None
        self.merged_into = target.id
        self._log(now, "merged", by, f"Merged into {target.id}", into=target.id)
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

    @classmethod
    def open_proactive(
        cls,
        tenant_id: str,
        request: events.ProactiveContactRequested,
        *,
        tracking_url: str,
        now: datetime,
    ) -> Ticket:
        """A ticket TripCare opens for a traveller a disruption hits (``proactive``)."""
        return proactive.open_ticket(cls, tenant_id, request, tracking_url=tracking_url, now=now)

    def disruption_changed(
        self, request: events.ProactiveContactRequested, *, tracking_url: str, now: datetime
    ) -> None:
        proactive.disruption_changed(self, request, tracking_url=tracking_url, now=now)

    def link_incident(self, linked: events.IncidentLinked) -> None:
        proactive.link_incident(self, linked)

    def resolve_with_incident(self, resolved: events.IncidentResolved, *, now: datetime) -> None:
        proactive.resolve_with_incident(self, resolved, now=now)

    def apply_routing(self, routed: events.TicketRouted) -> None:
        reactions.apply_routing(self, routed)

    def bot_answer(self, answered: events.TicketBotAnswered) -> None:
        reactions.bot_answer(self, answered)

    def record_sla_warning(self, warning: events.SlaWarning) -> None:
        reactions.record_sla_warning(self, warning)

    def escalate_on_breach(self, breached: events.SlaBreached) -> None:
        reactions.escalate_on_breach(self, breached)

    def record_appeal_decision(self, decided: events.AppealResolved) -> None:
        reactions.record_appeal_decision(self, decided)

    def record_notification_failure(self, failed: events.NotificationFailed) -> None:
        reactions.record_notification_failure(self, failed)

    def record_survey(self, survey: events.SurveySent | events.SurveyWithdrawn) -> None:
        reactions.record_survey(self, survey)

    def record_feedback(self, received: events.FeedbackReceived) -> None:
        reactions.record_feedback(self, received)
