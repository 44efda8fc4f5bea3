"""Routing's bus entrypoints: one typed subscriber per event, each handing it to a use case.

The ``Router`` and ``ProactiveCare`` come from the broker's context
(``runtime.context.Provided``), which ``register`` and ``register_care`` set.
"""

from __future__ import annotations

from typing import Annotated

from contracts import events
from contracts.envelope import Envelope
from runtime.bus import Bus
from runtime.context import Provided
from services.routing.care.service import ProactiveCare
from services.routing.service import Router

RouterDep = Annotated[Router, Provided("router")]
CareDep = Annotated[ProactiveCare, Provided("care")]


async def ticket_opened(envelope: Envelope[events.TicketOpened], router: RouterDep) -> None:
    await router.ticket_opened(envelope)


async def ticket_followed_up(
    envelope: Envelope[events.TicketFollowedUp], router: RouterDep
) -> None:
    await router.ticket_followed_up(envelope)


async def ticket_reopened(envelope: Envelope[events.TicketReopened], router: RouterDep) -> None:
    await router.ticket_reopened(envelope)


async def ticket_transferred(
    envelope: Envelope[events.TicketTransferred], router: RouterDep
) -> None:
    await router.ticket_transferred(envelope)


async def ticket_resolved(envelope: Envelope[events.TicketResolved], router: RouterDep) -> None:
    await router.ticket_resolved(envelope)


async def ticket_status_changed(
    envelope: Envelope[events.TicketStatusChanged], router: RouterDep
) -> None:
    await router.ticket_status_changed(envelope)


async def ticket_merged(envelope: Envelope[events.TicketMerged], router: RouterDep) -> None:
    await router.ticket_merged(envelope)


async def ticket_replied(envelope: Envelope[events.TicketReplied], router: RouterDep) -> None:
    await router.ticket_replied(envelope)


async def disruption_noticed(
    envelope: Envelope[events.DisruptionNotice], router: RouterDep
) -> None:
    await router.disruption_noticed(envelope)


async def booking_upserted(envelope: Envelope[events.BookingUpserted], care: CareDep) -> None:
    await care.booking_upserted(envelope)


async def booking_cancelled(envelope: Envelope[events.BookingCancelled], care: CareDep) -> None:
    await care.booking_cancelled(envelope)


async def supplier_status(envelope: Envelope[events.SupplierStatusChanged], care: CareDep) -> None:
    await care.supplier_status(envelope)


async def disruption_revised(envelope: Envelope[events.DisruptionRevised], care: CareDep) -> None:
    await care.disruption_revised(envelope)


def register(bus: Bus, router: Router) -> None:
    """Put the router on the broker's context and subscribe it to every ticket event."""
    bus.broker.context.set_global("router", router)
    bus.subscriber(events.TicketOpened)(ticket_opened)
    bus.subscriber(events.TicketFollowedUp)(ticket_followed_up)
    bus.subscriber(events.TicketReopened)(ticket_reopened)
    bus.subscriber(events.TicketTransferred)(ticket_transferred)
    bus.subscriber(events.TicketResolved)(ticket_resolved)
    bus.subscriber(events.TicketStatusChanged)(ticket_status_changed)
    bus.subscriber(events.TicketMerged)(ticket_merged)
    bus.subscriber(events.TicketReplied)(ticket_replied)
    bus.subscriber(events.DisruptionNotice)(disruption_noticed)


def register_care(bus: Bus, care: ProactiveCare) -> None:
    """Put proactive care on the broker's context and subscribe it to bookings and suppliers."""
    bus.broker.context.set_global("care", care)
    bus.subscriber(events.BookingUpserted)(booking_upserted)
    bus.subscriber(events.BookingCancelled)(booking_cancelled)
    bus.subscriber(events.SupplierStatusChanged)(supplier_status)
    bus.subscriber(events.DisruptionRevised)(disruption_revised)
