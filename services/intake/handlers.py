"""Intake's use cases, called by the HTTP API and by bus subscribers alike."""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.signing import Signer
from runtime.store import AlreadyExists, NotFound, Repository
from services.intake.domain import Ticket, ticket_id_for

TRACKING_LINK_TTL = timedelta(days=90)


class Intake:
    def __init__(
        self, tickets: Repository[Ticket], clock: Clock, signer: Signer, public_url: str
    ) -> None:
        self.tickets = tickets
        self.clock = clock
        self.signer = signer
        self.public_url = public_url.rstrip("/")

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
        cause: Envelope[events.ContactReceived] | None = None,
    ) -> tuple[Ticket, bool]:
        """Open a ticket for a contact; a redelivered contact returns the ticket it opened."""
        ticket_id = ticket_id_for(tenant_id, contact.channel, contact.channel_message_id)
        existing = await self.tickets.get(tenant_id, ticket_id)
        if existing is not None:
            return existing, False
        ticket = Ticket.open(
            tenant_id,
            contact,
            tracking_url=self.tracking_url(tenant_id, ticket_id),
            now=self.clock.now(),
        )
        try:
            await self.tickets.add(ticket, cause)
        except AlreadyExists:
            raced = await self.tickets.get(tenant_id, ticket_id)
            if raced is None:
                raise
            return raced, False
        return ticket, True

    async def resolve(
        self, tenant_id: str, ticket_id: str, *, code: str, message: str, agent: str
    ) -> Ticket:
        return await self.tickets.change(
            tenant_id,
            ticket_id,
            lambda ticket: ticket.resolve(
                code=code, message=message, agent=agent, now=self.clock.now()
            ),
        )

    async def get(self, tenant_id: str, ticket_id: str) -> Ticket:
        ticket = await self.tickets.get(tenant_id, ticket_id)
        if ticket is None:
            raise NotFound(ticket_id)
        return ticket


def register_subscribers(bus: Bus, intake: Intake) -> None:
    tickets = intake.tickets

    @bus.subscriber(events.ContactReceived)
    async def contact_received(envelope: Envelope[events.ContactReceived]) -> None:
        await intake.receive_contact(envelope.tenant_id, envelope.payload, envelope)

    @bus.subscriber(events.TicketRouted)
    async def ticket_routed(envelope: Envelope[events.TicketRouted]) -> None:
        await tickets.apply(
            envelope, envelope.payload.ticket_id, lambda t: t.apply_routing(envelope.payload)
        )

    @bus.subscriber(events.NotificationDelivered)
    async def notification_delivered(envelope: Envelope[events.NotificationDelivered]) -> None:
        if envelope.payload.ticket_id:
            await tickets.apply(
                envelope,
                envelope.payload.ticket_id,
                lambda t: t.record_notification(envelope.payload),
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
