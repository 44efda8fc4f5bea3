"""A flight number is one flight however a booking system, a partner or a traveller
writes it: booking systems pad numbers with zeros (``CA0981``), airlines do not. The
padded booking used to be missed by the airline's event, and a contact naming it was
not clustered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Channel, Traveller
from contracts.references import normal_reference
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import Care, body, opened, run_disruption


@pytest.mark.parametrize(
    ("written", "resource", "normal"),
    [
        ("CA0981", "flight", "CA981"),
        ("ca 0981", "flight", "CA981"),
        ("CA-981", "flight", "CA981"),
        ("CA01501", "flight", "CA1501"),
        ("3U0888", "flight", "3U888"),
        ("U20012", "flight", "U212"),
        ("CCA0981", "flight", "CCA981"),
        ("MU5101A", "flight", "MU5101A"),
        ("CA0000", "flight", "CA0"),
        ("H-0088", "hotel", "H-0088"),
        ("G0012", "train", "G0012"),
        ("ca0981", None, "CA0981"),
    ],
)
def test_flight_numbers_lose_their_padding_and_nothing_else_does(
    written: str, resource: str | None, normal: str
) -> None:
    assert normal_reference(written, resource) == normal


async def test_a_zero_padded_booking_hears_of_the_airlines_event_and_contacts_cluster() -> None:
    desk = Care()
    booking = events.BookingUpserted(
        booking_id="bk-1",
        traveller=Traveller(id="trav-1"),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(
                kind="flight", reference="CA 0981", starts_at=T0 + timedelta(hours=30)
            )
        ],
        updated_at=T0,
    )
    await desk.care.booking_upserted(envelope(booking, tenant="acme"))

    await run_disruption(desk, body(reference="ca981"))

    [told] = desk.published("proactive.contact")
    assert (told.payload.traveller.id, told.payload.reference) == ("trav-1", "CA981")
    assert await desk.care.cluster(opened("TC-1", "acme", "CA0981")) == told.payload.incident_id


def test_a_reference_typed_full_width_is_the_same_booking() -> None:
    """A booking system or a partner fed by an IME sends ``ＣＡ０９８１``: it is CA981's."""
    assert normal_reference("ＣＡ　０９８１", "flight") == "CA981"
    assert normal_reference("ＨＴＬ－００７", "hotel") == "HTL-007"
