"""Routing's reactions to ticket events."""

from __future__ import annotations

from typing import Any

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.store import Repository
from services.routing.domain import RoutingCase


def register_subscribers(bus: Bus, cases: Repository[RoutingCase], clock: Clock) -> None:
    def blank(envelope: Envelope[Any], ticket_id: str) -> RoutingCase:
        return RoutingCase.blank(envelope.tenant_id, ticket_id)

    @bus.subscriber(events.TicketOpened)
    async def ticket_opened(envelope: Envelope[events.TicketOpened]) -> None:
        ticket_id = envelope.payload.ticket_id
        await cases.upsert(
            envelope,
            ticket_id,
            lambda: blank(envelope, ticket_id),
            lambda case: case.open(envelope.payload, clock.now()),
        )

    @bus.subscriber(events.TicketResolved)
    async def ticket_resolved(envelope: Envelope[events.TicketResolved]) -> None:
        ticket_id = envelope.payload.ticket_id
        await cases.upsert(
            envelope,
            ticket_id,
            lambda: blank(envelope, ticket_id),
            lambda case: case.resolve(envelope.payload),
        )

    @bus.subscriber(events.TicketReopened)
    async def ticket_reopened(envelope: Envelope[events.TicketReopened]) -> None:
        ticket_id = envelope.payload.ticket_id
        await cases.upsert(
            envelope,
            ticket_id,
            lambda: blank(envelope, ticket_id),
            lambda case: case.reopen(envelope.payload, clock.now()),
        )
