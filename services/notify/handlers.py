"""Notify's reactions: every traveller-facing event becomes exactly one delivery."""

from __future__ import annotations

from typing import Any

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.store import AlreadyExists, Repository
from services.notify.domain import Delivery, notice_for
from services.notify.render import Renderer


class Notifier:
    def __init__(self, deliveries: Repository[Delivery], renderer: Renderer, clock: Clock) -> None:
        self.deliveries = deliveries
        self.renderer = renderer
        self.clock = clock

    async def notify(self, envelope: Envelope[Any]) -> Delivery | None:
        """Deliver the notice an event calls for; a redelivered event sends nothing again."""
        notice = notice_for(envelope.payload)
        if notice is None:
            return None
        delivery = Delivery.to_inbox(
            envelope.tenant_id,
            notice,
            self.renderer.render(notice),
            source_message_id=envelope.message_id,
            now=self.clock.now(),
        )
        try:
            await self.deliveries.add(delivery, envelope)
        except AlreadyExists:
            return await self.deliveries.get(envelope.tenant_id, delivery.id)
        return delivery


def register_subscribers(bus: Bus, notifier: Notifier) -> None:
    @bus.subscriber(events.TicketAcknowledged)
    async def ticket_acknowledged(envelope: Envelope[events.TicketAcknowledged]) -> None:
        await notifier.notify(envelope)

    @bus.subscriber(events.TicketRouted)
    async def ticket_routed(envelope: Envelope[events.TicketRouted]) -> None:
        await notifier.notify(envelope)

    @bus.subscriber(events.TicketResolved)
    async def ticket_resolved(envelope: Envelope[events.TicketResolved]) -> None:
        await notifier.notify(envelope)

    @bus.subscriber(events.SurveySent)
    async def survey_sent(envelope: Envelope[events.SurveySent]) -> None:
        await notifier.notify(envelope)
