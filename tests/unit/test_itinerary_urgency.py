"""Routing reads the itinerary: the same words are more urgent three hours before departure
than a week ahead, and a contact naming a disrupted flight joins its incident."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts import events
from contracts.envelope import Envelope
from contracts.events import BookingReference, Channel, ReferenceKind, Traveller
from services.intake.domain import Ticket
from services.routing.care.domain.incidents import Disruption
from services.routing.care.domain.suppliers import SupplierSettings
from services.routing.care.domain.trips import Trip
from services.routing.care.service import ProactiveCare
from services.routing.sla.service import SlaClocks
from services.routing.sla.store import SlaStore
from tests.factories import T0, envelope
from tests.unit.test_routing_handlers import Desk, desk, seed  # noqa: F401 (fixtures)
from tests.unit.test_supplier_care import proactive_care

TEXT = "Please change my hotel booking to another hotel near the office"


def with_care(desk: Desk) -> ProactiveCare:  # noqa: F811
    care = proactive_care(desk.db, desk.outbox, desk.clock, SupplierSettings())
    desk.router.care = care
    return care


async def book(
    care: ProactiveCare, traveller: str, departs_in: timedelta, lasts: timedelta | None = None
) -> None:
    booking = events.BookingUpserted(
        booking_id=f"bk-{traveller}",
        traveller=Traveller(id=traveller, language="en"),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(
                kind="flight",
                reference="CA1501",
                starts_at=T0 + departs_in,
                ends_at=T0 + departs_in + lasts if lasts else None,
            )
        ],
        updated_at=T0,
    )
    await care.booking_upserted(envelope(booking))


async def test_a_departure_in_3_hours_raises_the_same_words_above_a_week_ahead(
    desk: Desk,  # noqa: F811
) -> None:
    care = with_care(desk)
    await book(care, "soon", timedelta(hours=3))
    await book(care, "later", timedelta(days=7))
    soon = await desk.open(TEXT, traveller=Traveller(id="soon", language="en"))
    later = await desk.open(TEXT, traveller=Traveller(id="later", language="en"))
    routed_soon, routed_later = desk.last("ticket.routed", soon), desk.last("ticket.routed", later)
    ranks = ["low", "normal", "high", "critical"]
    assert ranks.index(routed_soon["priority"]) > ranks.index(routed_later["priority"])
    assert "departs within 24 h" in routed_soon["reason"]


async def test_a_contact_naming_a_disrupted_flight_is_linked_to_its_incident(
    desk: Desk,  # noqa: F811
) -> None:
    care = with_care(desk)
    await book(care, "booked", timedelta(hours=5))
    status = events.SupplierStatusChanged(
        partner="ca",
        kind="flight_cancelled",
        reference="CA1501",
        service_date=(T0 + timedelta(hours=5)).date(),
        reported_at=T0,
    )
    await care.supplier_status(envelope(status, tenant="_suppliers"))
    ticket = await desk.open(
        "My colleague's flight CA1501 is cancelled, can you help?",
        references=[BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")],
    )
    [linked] = desk.published("incident.linked")
    assert linked["ticket_id"] == ticket
    assert desk.last("ticket.routed", ticket)["queue"]


async def test_a_traveller_between_departure_and_the_end_of_the_trip_is_on_a_trip(
    desk: Desk,  # noqa: F811
) -> None:
    care = with_care(desk)
    await book(care, "flying", -timedelta(hours=1), lasts=timedelta(hours=12))
    await book(care, "at-home", timedelta(days=2), lasts=timedelta(hours=12))
    await book(care, "back-home", -timedelta(days=2), lasts=timedelta(hours=12))

    assert await care.on_trip("acme", "flying")
    assert not await care.on_trip("acme", "at-home")
    assert not await care.on_trip("acme", "back-home")
    assert not await care.on_trip("acme", "nobody")
    assert not await care.on_trip("acme", None)


async def test_a_new_ticket_reads_the_travellers_bookings_once(
    desk: Desk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    care = with_care(desk)
    desk.router.clocks = SlaClocks(
        SlaStore(desk.db),  # type: ignore[arg-type]
        desk.store,
        desk.router.slots,
        desk.clock,
        care=care,
    )
    await book(care, "flying", -timedelta(hours=1), lasts=timedelta(hours=12))
    reads: list[str | None] = []
    care_of = care.store.care_of

    async def counted(
        tenant_id: str, traveller_id: str | None, *args: Any, **kwargs: Any
    ) -> tuple[list[Trip], list[Disruption]]:
        reads.append(traveller_id)
        return await care_of(tenant_id, traveller_id, *args, **kwargs)

    monkeypatch.setattr(care.store, "care_of", counted)
    ticket = await desk.open(TEXT, traveller=Traveller(id="flying", language="en"))

    assert reads == ["flying"]
    assert (await desk.case(ticket)).sla.on_trip


async def proactive_opening(desk: Desk, care: ProactiveCare) -> events.TicketOpened:  # noqa: F811
    """What intake opens for the proactive contact care requested (after the bus's hops)."""
    for message in [m for m in desk.outbox.messages if m.routing_key == "disruption.revised"]:
        await care.disruption_revised(
            Envelope[events.DisruptionRevised].model_validate_json(message.body)
        )
    [request] = desk.published("proactive.contact")
    contact = events.ProactiveContactRequested.model_validate(request)
    ticket = Ticket.open_proactive("acme", contact, tracking_url="http://t", now=T0)
    [opened] = [e for e in ticket.take_events() if isinstance(e, events.TicketOpened)]
    return opened


@pytest.mark.parametrize(
    ("departs_in", "priority"),
    [
        (timedelta(hours=5, minutes=59), "critical"),
        (timedelta(hours=6, minutes=1), "high"),
        (timedelta(hours=6, minutes=42), "high"),
        (timedelta(hours=30), "high"),
    ],
)
async def test_a_proactive_ticket_is_critical_only_within_6_hours_of_departure(
    desk: Desk,  # noqa: F811
    departs_in: timedelta,
    priority: str,
) -> None:
    """docs/suppliers.md: the itinerary decides, and neither the text TripCare wrote ("car
    did not show up", which reads critical) nor a departure within 24 h makes it critical."""
    care = with_care(desk)
    booking = events.BookingUpserted(
        booking_id="bk-car",
        traveller=Traveller(id="trav-car", language="en"),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(kind="car", reference="HZ-PVG-88", starts_at=T0 + departs_in)
        ],
        updated_at=T0,
    )
    await care.booking_upserted(envelope(booking))
    no_show = events.SupplierStatusChanged(
        partner="hertz",
        kind="car_no_show",
        reference="HZ-PVG-88",
        service_date=(T0 + departs_in).date(),
        reported_at=T0,
    )
    await care.supplier_status(envelope(no_show, tenant="_suppliers"))
    opened = await proactive_opening(desk, care)
    assert opened.priority.value == priority, "the incident's priority for the traveller"

    await desk.router.ticket_opened(envelope(opened))

    routed = desk.last("ticket.routed", opened.ticket_id)
    assert routed["priority"] == priority, routed["reason"]
