"""A booking holds at most ``MAX_SEGMENTS`` segments, on the bus and over HTTP alike.

``PUT /v1/bookings/{id}`` refused a booking of 51 segments that ``booking.upserted`` took
(50 against 100, each written in its own place): a booking system that moved from the bus
to HTTP could no longer store a long trip, and ``MAX_NIGHTS`` was reasoned against 100.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from contracts import events
from contracts.events.suppliers import MAX_SEGMENTS
from services.routing.api import bookings
from services.routing.api.bookings import BookingIn
from tests.factories import T0
from tests.unit.test_supplier_care import Care
from tests.unit.test_supplier_edges import FLIGHT, admin_of, booking, care_desk


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, bookings.router) as http:
        yield care, http


def segments(count: int) -> list[dict[str, Any]]:
    return [{**FLIGHT, "reference": f"CA{1000 + n}"} for n in range(count)]


def test_http_and_the_bus_hold_the_same_bound() -> None:
    bus = events.BookingUpserted.model_json_schema()["properties"]["segments"]["maxItems"]
    http = BookingIn.model_json_schema()["properties"]["segments"]["maxItems"]
    assert bus == http == MAX_SEGMENTS


async def test_a_booking_of_the_most_segments_is_taken_over_http(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    _, http = desk
    body = booking(*segments(MAX_SEGMENTS))

    answer = await http.put("/v1/bookings/BK-1", json=body, headers=admin_of("acme"))

    assert answer.status_code == 201, answer.text
    assert len(answer.json()["segments"]) == MAX_SEGMENTS


async def test_one_segment_more_is_refused_on_both_paths(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    _, http = desk
    body = booking(*segments(MAX_SEGMENTS + 1))

    answer = await http.put("/v1/bookings/BK-1", json=body, headers=admin_of("acme"))

    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "segments"]
    with pytest.raises(ValidationError, match="segments"):
        events.BookingUpserted(
            booking_id="BK-1", updated_at=T0, **{k: v for k, v in body.items() if k != "updated_at"}
        )
