"""A span of nights in one event (``last_service_date``): a hotel closed for three nights was
three events, three incidents, and a guest staying through them got a ticket and a notice per
night. The span is checked where it is read: not before the first night, at most
``MAX_SPAN_NIGHTS`` nights, never on a flight, train or car (one date each); a 422 naming the
field otherwise, and nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from contracts import events
from runtime.webhook_signature import HEADER
from services.routing.api import incidents, suppliers
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import Care, body, signed
from tests.unit.test_supplier_edges import care_desk

HOTEL = {"kind": "hotel_closed", "reference": "SHA-HILTON-01", "service_date": "2026-11-26"}


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router, incidents.router) as http:
        yield care, http


async def post(http: httpx.AsyncClient, **event: Any) -> httpx.Response:
    raw = body(**event)
    headers = {HEADER: signed(raw), "content-type": "application/json"}
    return await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({**HOTEL, "last_service_date": "2026-11-25"}, "must not be before service_date"),
        ({**HOTEL, "last_service_date": "2026-12-27"}, "within 31 nights"),
        ({**HOTEL, "last_service_date": "26/11/2026"}, "date"),
        ({"kind": "FLIGHT_CANCELED", "last_service_date": "2026-11-27"}, "a flight event"),
        ({"kind": "train_delayed", "last_service_date": "2026-11-27"}, "a train event"),
        ({"kind": "car_no_show", "last_service_date": "2026-11-27"}, "a car event"),
    ],
)
async def test_a_span_that_is_no_span_of_nights_is_a_422_naming_the_field(
    desk: tuple[Care, httpx.AsyncClient], event: dict[str, Any], says: str
) -> None:
    care, http = desk

    answer = await post(http, **event)

    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"][:2] == ["body", "last_service_date"]
    assert says in problem["msg"]
    assert care.wrote_nothing()


async def test_thirty_one_nights_are_taken_and_go_on_the_bus(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk

    answer = await post(http, **HOTEL, last_service_date="2026-12-26")

    assert answer.status_code == 202, answer.text
    [status] = care.published("supplier.status")
    assert status.payload.last_service_date.isoformat() == "2026-12-26"


async def test_a_span_of_its_first_night_alone_is_the_event_without_one(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    """Of a flight too: the same date twice names one date; a re-send either way is the
    same event (a duplicate), not another one under a reused event_id (409)."""
    _, http = desk
    flight = {"kind": "flight_cancelled", "service_date": "2026-11-26"}

    first = await post(http, **flight, last_service_date="2026-11-26")
    again = await post(http, **flight, reported_at=T0.isoformat())

    assert (first.status_code, again.status_code) == (202, 200), again.text


async def test_a_revised_span_under_the_same_event_id_is_another_event(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    """De-duplication reads the span: a longer closure is news, sent with its own id."""
    _, http = desk
    await post(http, **HOTEL, last_service_date="2026-11-28")

    reused = await post(http, **HOTEL, last_service_date="2026-11-30")

    assert reused.status_code == 409, reused.text
    assert "already used for another event" in reused.json()["detail"]


def test_a_span_on_the_bus_is_checked_as_over_http() -> None:
    status = events.SupplierStatusChanged(
        partner="ca",
        kind="hotel_closed",
        reference="H-1",
        service_date=T0.date(),
        last_service_date=T0.date(),
        reported_at=T0,
    )
    assert status.last_service_date is None
    with pytest.raises(ValidationError, match="last_service_date"):
        status.model_validate({**status.model_dump(), "last_service_date": "2026-11-01"})


async def test_a_flight_span_on_the_bus_is_dead_lettered_not_read_as_one_day() -> None:
    care = Care()
    status = events.SupplierStatusChanged(
        partner="ca",
        kind="flight_cancelled",
        reference="CA1501",
        service_date=T0.date(),
        last_service_date=T0.date().replace(day=T0.day + 1),
        reported_at=T0,
    )

    with pytest.raises(ValidationError, match="last_service_date"):
        await care.care.supplier_status(envelope(status, tenant="_suppliers"))

    assert care.outbox.messages == []
