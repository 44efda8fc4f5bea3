"""Intake's use cases, called by the HTTP API and by bus subscribers alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contracts import events
from contracts.envelope import Envelope
from contracts.mail import DEFAULT_MAIL_DOMAIN
from contracts.references import extract_references
from runtime.admission import LagWindow
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.signing import Signer
from runtime.store import AlreadyExists, ConcurrencyError, NotFound
from services.intake.attachment_store import AttachmentStore
from services.intake.attachments import (
    AttachmentPolicy,
    IncomingFile,
    check,
    files_of_channel,
    with_stored,
)
from services.intake.channels import normalise
from services.intake.channels.language import guess_language
from services.intake.domain import Ticket, contact_id_for, thread_key_for, ticket_id_for
from services.intake.domain.mail_threading import NamedTicket, named_tickets, sender_may_thread
from services.intake.store import Candidates, TicketStore, key_entries

TRACKING_LINK_TTL = timedelta(days=90)
RACE_RETRIES = 10


@dataclass(frozen=True)
class ThreadingPolicy:
    """How follow-ups find their ticket."""

    reopen_window: timedelta = timedelta(days=7)
    """A resolved ticket is reopened by a follow-up within this; later, a new ticket opens."""
    reference_window: timedelta = timedelta(hours=72)
    """Same traveller + same booking reference within this joins their recent ticket."""


class Outcome(StrEnum):
    OPENED = "opened"
    FOLLOWED_UP = "followed_up"
    DUPLICATE = "duplicate"


class Intake:
    def __init__(
        self,
        tickets: TicketStore,
        clock: Clock,
        signer: Signer,
        public_url: str,
        policy: ThreadingPolicy | None = None,
        mail_domain: str = DEFAULT_MAIL_DOMAIN,
        files: AttachmentStore | None = None,
        file_policy: AttachmentPolicy | None = None,
    ) -> None:
        self.tickets = tickets
        self.clock = clock
        self.signer = signer
        self.public_url = public_url.rstrip("/")
        self.policy = policy or ThreadingPolicy()
        self.mail_domain = mail_domain
        self.files = files
        self.file_policy = file_policy or AttachmentPolicy()

    def tracking_url(self, tenant_id: str, ticket_id: str) -> str:
        token = self.signer.sign(
            subject=ticket_id,
            tenant=tenant_id,
            purpose="track",
            expires_at=self.clock.now() + TRACKING_LINK_TTL,
        )
        return f"{self.public_url}/v1/track/{token}"

    async def receive_contact(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        cause: Envelope[events.ContactReceived]
        | Envelope[events.ChannelMessageReceived]
        | None = None,
        files: Sequence[IncomingFile] = (),
    ) -> tuple[Ticket, Outcome]:
        """Open a ticket, or thread the contact into its conversation's ticket, exactly once.

        Races (two deliveries of one message, two messages opening one
        conversation) end in a unique-id or version conflict; the loser retries
        and finds what the winner wrote. ``files`` (the payload's attachments)
        are stored first and kept once the ticket refers to them; a duplicate's
        are discarded, and a failure's are left to the sweeper.
        """
        contact_id = contact_id_for(tenant_id, contact.channel, contact.channel_message_id)
        if not contact.references:
            found = extract_references(f"{contact.subject or ''} {contact.text}")
            contact = contact.model_copy(update={"references": found})
        stored: list[events.Attachment] = []
        if files and self.files is not None and not await self.tickets.knows(contact_id):
            stored = await self.files.put(tenant_id, check(files, self.file_policy), "traveller")
            contact = contact.model_copy(update={"attachments": with_stored(contact, stored)})
        ticket, outcome = await self._receive_retrying(tenant_id, contact, contact_id, cause)
        if self.files is not None and stored:
            settle = self.files.discard if outcome is Outcome.DUPLICATE else self.files.keep
            await settle(stored)
        return ticket, outcome

    async def _receive_retrying(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        contact_id: str,
        cause: Envelope[events.ContactReceived] | Envelope[events.ChannelMessageReceived] | None,
    ) -> tuple[Ticket, Outcome]:
        for _ in range(RACE_RETRIES):
            try:
                return await self._receive(tenant_id, contact, contact_id, cause)
            except (AlreadyExists, ConcurrencyError):
                continue
        raise ConcurrencyError(f"contact {contact_id}: too many concurrent writers")

    async def _receive(
        self,
        tenant_id: str,
        contact: events.ContactReceived,
        contact_id: str,
        cause: Envelope[events.ContactReceived] | Envelope[events.ChannelMessageReceived] | None,
    ) -> tuple[Ticket, Outcome]:
        now = self.clock.now()
        thread_key = thread_key_for(contact)
        named = named_tickets(contact, self.mail_domain)
        found = await self.tickets.candidates(
            tenant_id,
            contact_id,
            thread_key,
            contact.traveller.id,
            [r.value for r in contact.references],
            [n.ticket_id for n in named],
        )
        known = found.knowing_contact()
        if known is not None:
            return known, Outcome.DUPLICATE
        thread = (
            self._named_thread(found, named, contact, now)
            or found.open_thread()
            or found.recent_by_reference(now - self.policy.reference_window)
        )
        if thread is not None and thread.accepts_follow_up(now, self.policy.reopen_window):
            keyed = key_entries(thread)
            thread.follow_up(contact, contact_id, now)
            await self.tickets.index(thread, known=keyed)
            await self.tickets.repo.save(thread, cause)
            return thread, Outcome.FOLLOWED_UP
        latest = found.latest_of_thread()
        if latest is not None and latest.accepts_follow_up(now, self.policy.reopen_window):
            raise ConcurrencyError(f"{latest.id} was opened meanwhile: thread into it instead")
        generation = (latest.generation if latest else 0) + 1
        language = (
            contact.language_hint or contact.traveller.language or guess_language(contact.text)
        )
        ticket = Ticket.open(
            tenant_id,
            contact,
            contact_id=contact_id,
            generation=generation,
            language=language,
            tracking_url=self.tracking_url(
                tenant_id, ticket_id_for(tenant_id, thread_key, generation)
            ),
            now=now,
        )
        await self.tickets.index(ticket)
        await self.tickets.repo.add(ticket, cause)
        return ticket, Outcome.OPENED

    def _named_thread(
        self,
        found: Candidates,
        named: list[NamedTicket],
        contact: events.ContactReceived,
        now: datetime,
    ) -> Ticket | None:
        """The first ticket the contact names that is this tenant's and takes the follow-up."""
        for name in named:
            ticket = found.named(name.ticket_id)
            if (
                ticket is not None
                and sender_may_thread(name, ticket.traveller, contact.traveller)
                and ticket.accepts_follow_up(now, self.policy.reopen_window)
            ):
                return ticket
        return None

    async def get(self, tenant_id: str, ticket_id: str) -> Ticket:
        ticket = await self.tickets.repo.get(tenant_id, ticket_id)
        if ticket is None:
            raise NotFound(ticket_id)
        return ticket

    async def act(self, tenant_id: str, ticket_id: str, action: Callable[[Ticket], None]) -> Ticket:
        """Run an agent action on the latest version of the ticket (409 if illegal)."""
        return await self.tickets.repo.change(tenant_id, ticket_id, action)

    async def merge(self, tenant_id: str, duplicate_id: str, into_id: str, by: str) -> Ticket:
        """Fold a duplicate into another ticket; safe to repeat after a crash half-way.

        The target absorbs first, then the duplicate closes: a retry finds the
        target already holding it and only finishes the second step.
        """
        duplicate = await self.get(tenant_id, duplicate_id)
        if duplicate.merged_into == into_id:
            return duplicate
        target = await self.get(tenant_id, into_id)
        duplicate.model_copy(deep=True).merge_into(target, by=by, now=self.clock.now())
        merged = target.model_copy(deep=True)
        merged.absorb(duplicate, by=by, now=self.clock.now())
        await self.tickets.index(merged, known=key_entries(target))

        def absorb(ticket: Ticket) -> None:
            if duplicate.id not in ticket.absorbed:
                ticket.absorb(duplicate, by=by, now=self.clock.now())

        def close_duplicate(ticket: Ticket) -> None:
            if ticket.merged_into is None:
                ticket.merge_into(target, by=by, now=self.clock.now())

        await self.tickets.repo.change(tenant_id, into_id, absorb)
        return await self.tickets.repo.change(tenant_id, duplicate_id, close_duplicate)


def register_subscribers(
    bus: Bus, intake: Intake, acknowledgements: LagWindow | None = None
) -> None:
    """``acknowledgements`` learns each contact → acknowledgement lag (intake's admission)."""
    tickets = intake.tickets.repo

    @bus.subscriber(events.ContactReceived)
    async def contact_received(envelope: Envelope[events.ContactReceived]) -> None:
        await intake.receive_contact(envelope.tenant_id, envelope.payload, envelope)

    @bus.subscriber(events.ChannelMessageReceived)
    async def channel_message(envelope: Envelope[events.ChannelMessageReceived]) -> None:
        payload = envelope.payload
        body = payload.body.encode()
        contact = normalise(payload.channel, body, payload.received_at)
        files = files_of_channel(payload.channel, body)
        await intake.receive_contact(envelope.tenant_id, contact, envelope, files)

    @bus.subscriber(events.TicketRouted)
    async def ticket_routed(envelope: Envelope[events.TicketRouted]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.apply_routing(envelope.payload)
        )

    @bus.subscriber(events.TicketBotAnswered)
    async def ticket_bot_answered(envelope: Envelope[events.TicketBotAnswered]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.bot_answer(envelope.payload)
        )

    @bus.subscriber(events.NotificationDelivered)
    async def notification_delivered(envelope: Envelope[events.NotificationDelivered]) -> None:
        delivered = envelope.payload
        if not delivered.ticket_id:
            return
        ticket = await tickets.apply(
            envelope, delivered.ticket_id, lambda t: t.record_notification(delivered)
        )
        if (
            acknowledgements is not None
            and delivered.template == events.ACKNOWLEDGEMENT_TEMPLATE
            and ticket.acknowledged_at is not None
        ):
            acknowledgements.observe(
                (delivered.delivered_at - ticket.acknowledged_at).total_seconds()
            )

    @bus.subscriber(events.NotificationFailed)
    async def notification_failed(envelope: Envelope[events.NotificationFailed]) -> None:
        if envelope.payload.ticket_id:
            await tickets.apply(
                envelope,
                envelope.payload.ticket_id,
                lambda t: t.record_notification_failure(envelope.payload),
            )

    @bus.subscriber(events.SurveySent)
    async def survey_sent(envelope: Envelope[events.SurveySent]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.record_survey(envelope.payload)
        )

    @bus.subscriber(events.FeedbackReceived)
    async def feedback_received(envelope: Envelope[events.FeedbackReceived]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.record_feedback(envelope.payload)
        )

    @bus.subscriber(events.AppealFiled)
    async def appeal_filed(envelope: Envelope[events.AppealFiled]) -> None:
        await tickets.apply(
            envelope,
            envelope.payload.ticket_id,
            lambda t: t.appeal(envelope.payload, now=intake.clock.now()),
        )

    @bus.subscriber(events.AppealResolved)
    async def appeal_resolved(envelope: Envelope[events.AppealResolved]) -> None:
        await tickets.apply(
            envelope,
            envelope.payload.ticket_id,
            lambda t: t.record_appeal_decision(envelope.payload),
        )

    @bus.subscriber(events.SlaWarning)
    async def sla_warning(envelope: Envelope[events.SlaWarning]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.record_sla_warning(envelope.payload)
        )

    @bus.subscriber(events.SlaBreached)
    async def sla_breached(envelope: Envelope[events.SlaBreached]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.escalate_on_breach(envelope.payload)
        )
