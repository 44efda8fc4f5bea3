"""Which stays a span of closed nights hits, and how often each guest hears of it.

A hotel closed for three nights was three events: three incidents, and a guest staying
through them got a ticket and a notice per night. Now one event names the span
(``service_date`` to ``last_service_date``): every stay holding any night of it is hit once
(one incident, one ticket and one notice per booking), and a revised span is a new revision
of that incident, told to the guests it then holds."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from contracts import events
from contracts.events import Channel, Traveller
from services.routing.care.domain.trips import Trip, nights
from services.routing.care.store import DISRUPTIONS, INCIDENTS
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import Care, body, run_disruption

SHANGHAI = timezone(timedelta(hours=8))
FIRST, LAST = date(2026, 11, 26), date(2026, 11, 28)  # closed the nights of 26th, 27th, 28th


def stay(check_in: int, check_out: int | None, reference: str = "SHA-HILTON-01") -> Any:
    """A stay by days from the 26th: in at 15:00 on ``check_in``, out at noon on ``check_out``."""
    day = datetime(2026, 11, 26, 15, 0, tzinfo=SHANGHAI)
    ends = None if check_out is None else (day + timedelta(days=check_out)).replace(hour=12)
    if check_out == check_in and ends is not None:
        ends = ends.replace(hour=20)  # a day room
    return events.BookingSegment(
        kind="hotel", reference=reference, starts_at=day + timedelta(days=check_in), ends_at=ends
    )


def booking(booking_id: str, *segments: Any) -> events.BookingUpserted:
    return events.BookingUpserted(
        booking_id=booking_id,
        traveller=Traveller(id=f"trav-{booking_id}", language="en"),
        channel=Channel.IN_APP,
        segments=list(segments),
        updated_at=T0,
    )


def trip(*segments: Any) -> Trip:
    held = Trip.blank("acme", booking("bk", *segments))
    held.upsert(booking("bk", *segments))
    return held


def test_a_span_is_its_nights_from_the_first_to_the_last() -> None:
    assert nights(FIRST, LAST) == [FIRST, FIRST + timedelta(days=1), LAST]
    assert nights(FIRST, None) == [FIRST]


@pytest.mark.parametrize(
    ("check_in", "check_out", "hit"),
    [
        (0, 3, True),  # the three closed nights exactly
        (-2, 1, True),  # in since the 24th, out on the 27th: its last night is the first closed
        (2, 5, True),  # arrives on the last closed night
        (1, 2, True),  # one night inside the span
        (-5, 10, True),  # through it all
        (1, 1, True),  # a day room on a closed day
        (2, None, True),  # no check-out: its check-in night
        (-3, 0, False),  # out on the morning of the first closed night
        (3, 5, False),  # arrives the day after the last closed night
    ],
)
def test_a_stay_is_hit_when_it_holds_any_night_of_the_span(
    check_in: int, check_out: int | None, hit: bool
) -> None:
    held = trip(stay(check_in, check_out))

    assert bool(held.affected("hotel", "sha-hilton-01", FIRST, LAST)) is hit


def test_another_hotel_or_no_span_is_as_before() -> None:
    held = trip(stay(2, 5))

    assert held.affected("hotel", "SHA-HILTON-01", FIRST) == []
    assert held.affected("hotel", "SHA-PUDONG-02", FIRST, LAST) == []


async def test_one_closure_is_one_incident_and_one_notice_per_guest_staying_through_it() -> None:
    desk = Care()
    for booking_id, segments in {
        "through": [stay(-1, 4)],
        "twice": [stay(0, 1), stay(2, 3)],  # two stays at the hotel inside the span: one ticket
        "arriving-last-night": [stay(2, 4)],
        "gone": [stay(-3, 0)],
        "after": [stay(3, 5)],
    }.items():
        await desk.care.booking_upserted(envelope(booking(booking_id, *segments), tenant="acme"))

    closed = {"kind": "hotel_closed", "reference": "SHA-HILTON-01", "service_date": "2026-11-26"}
    await run_disruption(desk, body(**closed, last_service_date="2026-11-28"))

    told = desk.published("proactive.contact")
    assert sorted(t.payload.booking_id for t in told) == ["arriving-last-night", "through", "twice"]
    assert len({t.payload.incident_id for t in told}) == 1
    assert {t.payload.summary for t in told} == {
        "hotel closed: SHA-HILTON-01 on 2026-11-26 to 2026-11-28"
    }
    assert len(desk.db[DISRUPTIONS].docs) == len(desk.db[INCIDENTS].docs) == 1


async def test_a_longer_span_is_a_new_revision_told_to_the_guests_it_then_holds() -> None:
    desk = Care()
    for booking_id, segments in {"early": [stay(0, 1)], "late": [stay(4, 6)]}.items():
        await desk.care.booking_upserted(envelope(booking(booking_id, *segments), tenant="acme"))
    closed = {"kind": "hotel_closed", "reference": "SHA-HILTON-01", "service_date": "2026-11-26"}

    await run_disruption(desk, body(**closed, last_service_date="2026-11-28"))
    await run_disruption(desk, body(**closed, last_service_date="2026-11-28"), at=1)  # re-sent
    await run_disruption(
        desk, body(**closed, event_id="ca-ev-2", last_service_date="2026-11-30"), at=2
    )

    told = sorted(
        (t.payload.booking_id, t.payload.revision) for t in desk.published("proactive.contact")
    )
    assert told == [("early", 1), ("early", 2), ("late", 2)]
    assert {t.payload.incident_id for t in desk.published("proactive.contact")} == {
        t.payload.incident_id for t in desk.published("incident.opened")
    }


async def test_a_span_is_open_until_two_days_after_its_last_night() -> None:
    """Its first night three days past, a closure still running tells its guests."""
    desk = Care()
    first = T0.date() - timedelta(days=3)
    in_at = datetime.combine(first, datetime.min.time(), tzinfo=SHANGHAI).replace(hour=15)
    segment = events.BookingSegment(
        kind="hotel", reference="H-1", starts_at=in_at, ends_at=in_at + timedelta(days=5)
    )
    await desk.care.booking_upserted(envelope(booking("long", segment), tenant="acme"))
    span = {"kind": "hotel_closed", "reference": "H-1", "service_date": first.isoformat()}

    await run_disruption(desk, body(**span, last_service_date=T0.date().isoformat()))

    assert [t.payload.booking_id for t in desk.published("proactive.contact")] == ["long"]
