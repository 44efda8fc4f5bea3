"""A segment's date is the one its partner names it by, in the booking's own offset.

The store hands instants back in UTC, so a 07:30+08:00 departure read back from it
falls on the day before. The trip's index keys were built from the offset the booking
system sent, the check of which segment an event hits from the UTC read: the two
disagreed, and an early-morning traveller east of Greenwich was never told.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import bson
from bson.codec_options import CodecOptions

from contracts import events
from contracts.events import Channel, Traveller
from services.routing.care.domain.trips import Trip
from services.routing.care.store import TRIPS
from tests.factories import envelope
from tests.unit.test_supplier_care import Care, body, run_disruption

BEIJING = timezone(timedelta(hours=8))
STORED = CodecOptions(tz_aware=True)


def as_stored(desk: Care) -> None:
    """What a MongoDB server keeps: every datetime in UTC."""
    for doc_id, doc in desk.db[TRIPS].docs.items():
        desk.db[TRIPS].docs[doc_id] = bson.decode(bson.encode(doc), codec_options=STORED)


async def book(desk: Care, *segments: events.BookingSegment) -> None:
    booking = events.BookingUpserted(
        booking_id="bk-early",
        traveller=Traveller(id="trav-early", language="zh-Hans"),
        channel=Channel.IN_APP,
        segments=list(segments),
        updated_at=datetime(2026, 11, 25, 1, tzinfo=BEIJING),
    )
    await desk.care.booking_upserted(envelope(booking, tenant="acme"))
    as_stored(desk)


async def test_an_early_morning_departure_east_of_utc_is_told_on_its_local_date() -> None:
    desk = Care()
    departs = datetime(2026, 11, 26, 7, 30, tzinfo=BEIJING)  # 2026-11-25T23:30Z
    await book(desk, events.BookingSegment(kind="flight", reference="CA1501", starts_at=departs))

    await run_disruption(desk, body(service_date="2026-11-26"))

    [told] = desk.published("proactive.contact")
    assert (told.tenant_id, told.payload.traveller.id) == ("acme", "trav-early")
    [trip] = map(Trip.model_validate, desk.db[TRIPS].docs.values())
    assert [s.service_date.isoformat() for s in trip.segments] == ["2026-11-26"]


async def test_a_late_check_in_is_told_of_each_of_its_local_nights() -> None:
    desk = Care()
    stay = events.BookingSegment(
        kind="hotel",
        reference="H-88",
        starts_at=datetime(2026, 11, 26, 1, 0, tzinfo=BEIJING),  # 25th in UTC
        ends_at=datetime(2026, 11, 28, 6, 0, tzinfo=BEIJING),  # 27th in UTC
    )
    await book(desk, stay)

    raw = body(kind="hotel_overbooked", reference="H-88", service_date="2026-11-27")
    await run_disruption(desk, raw)

    assert len(desk.published("proactive.contact")) == 1
