"""Only a flight or a train has a delay: a hotel's (or a car's) ``delay_minutes`` is kept for
agents, not read.

A hotel event carrying ``delay_minutes: 30`` read "hotel overbooked: SHA-HILTON-01 on
2026-11-26 (+30 min)" in the agents' summary, its change of delay made a revision material,
and a negative one was a 422 that lost the overbooking. Now it is kept as any detail
TripCare does not read (``GET /v1/incidents/{id}``'s ``details``), and the partner's answer
warns of it (``warnings``); a flight's or a train's delay is read as before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from contracts import events
from contracts.events import Channel, Traveller
from services.routing.api import incidents, suppliers
from services.routing.care.domain.changes import Snapshot, material_change, summary_of
from services.routing.care.store import INCIDENTS
from tests.factories import T0, envelope
from tests.unit.test_supplier_answers import report
from tests.unit.test_supplier_care import DAY, Care
from tests.unit.test_supplier_edges import care_desk


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router, incidents.router) as http:
        yield care, http


async def book_a_stay(care: Care) -> None:
    stay = events.BookingSegment(
        kind="hotel",
        reference="SHA-HILTON-01",
        starts_at=T0 + timedelta(hours=30),
        ends_at=T0 + timedelta(hours=78),
    )
    booking = events.BookingUpserted(
        booking_id="acme-bk-0",
        traveller=Traveller(id="acme-trav-0", language="en"),
        channel=Channel.IN_APP,
        segments=[stay],
        updated_at=T0,
    )
    await care.care.booking_upserted(envelope(booking, tenant="acme"))


@pytest.mark.parametrize("kind", ["hotel_overbooked", "car_no_show"])
def test_a_hotel_or_car_summary_shows_no_delay(kind: str) -> None:
    summary = summary_of(kind, "SHA-HILTON-01", DAY, {"delay_minutes": "30", "walked_to": "X"})

    assert "min" not in summary
    assert summary.endswith(f"on {DAY.isoformat()}")


def test_a_flight_summary_still_shows_its_delay() -> None:
    assert summary_of("flight_cancelled", "CA1501", DAY, {"delay_minutes": "30"}).endswith(
        "(+30 min)"
    )


def test_a_hotel_delay_moving_is_no_news() -> None:
    told = Snapshot(kind="hotel_overbooked", details={"delay_minutes": "0"})
    now = Snapshot(kind="hotel_overbooked", details={"delay_minutes": "240"})

    assert material_change(told, now) is None


@pytest.mark.parametrize("delay", [30, -30])
async def test_a_hotel_event_with_a_delay_is_taken_and_warned_of(
    desk: tuple[Care, httpx.AsyncClient], delay: int
) -> None:
    care, http = desk
    await book_a_stay(care)

    answer = await report(
        care,
        http,
        kind="hotel_overbooked",
        reference="SHA-HILTON-01",
        details={"delay_minutes": delay},
    )

    [warning] = answer["warnings"]
    assert "details.delay_minutes" in warning
    assert "flight and train" in warning
    [incident] = care.db[INCIDENTS].docs.values()
    assert incident["summary"] == f"hotel overbooked: SHA-HILTON-01 on {DAY.isoformat()}"


async def test_a_flight_event_has_no_warning(desk: tuple[Care, httpx.AsyncClient]) -> None:
    care, http = desk

    answer = await report(care, http, kind="flight_delayed", details={"delay_minutes": 30})

    assert answer["warnings"] == []
