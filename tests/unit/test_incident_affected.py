"""An incident's ``affected`` counts travellers, as the dashboard's "Travellers affected"
says: one traveller holding two bookings on the cancelled flight is one (and gets one
ticket), not two."""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.events import Channel, Traveller
from services.routing.care.store import INCIDENTS
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import Care, body, run_disruption


async def test_a_traveller_with_two_bookings_on_the_flight_is_one_affected() -> None:
    desk = Care()
    await desk.book("acme", 2)
    for booking_id in ("bk-own", "bk-by-assistant"):
        booking = events.BookingUpserted(
            booking_id=booking_id,
            traveller=Traveller(id="acme-trav-0", language="en"),
            channel=Channel.IN_APP,
            segments=[
                events.BookingSegment(
                    kind="flight", reference="CA1501", starts_at=T0 + timedelta(hours=30)
                )
            ],
            updated_at=T0,
        )
        await desk.care.booking_upserted(envelope(booking, tenant="acme"))

    await run_disruption(desk, body())

    [view] = desk.db[INCIDENTS].docs.values()
    assert view["affected"] == 2
