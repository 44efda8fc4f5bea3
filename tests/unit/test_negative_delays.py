"""A negative ``delay_minutes`` is refused where the event is read, naming the key.

"How late the flight now leaves" below zero is a flight leaving early, and it was taken as
a delay: a material change (90 → -30 min is two hours), and every traveller was told
"Your flight CA1501 … is delayed" (the notice tells only a positive number of minutes), so
a traveller told of an earlier departure as a delay might miss it; the agents' summary read
"+-30 min". A departure brought forward is a ``flight_schedule_change`` with its
``new_departure``; the partner now hears so (422), the bus dead-letters it, nothing is
written or told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from contracts import events
from runtime.webhook_signature import HEADER
from services.routing.api import suppliers
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import Care, body, signed
from tests.unit.test_supplier_edges import care_desk


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router) as http:
        yield care, http


@pytest.mark.parametrize("delay", [-30, "-30", -0.5, " -15"])
async def test_a_negative_delay_is_a_422_naming_the_key_and_nothing_is_written(
    desk: tuple[Care, httpx.AsyncClient], delay: object
) -> None:
    care, http = desk
    raw = body(kind="flight_delayed", details={"delay_minutes": delay})
    headers = {HEADER: signed(raw), "content-type": "application/json"}

    refused = await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "details", "delay_minutes"]
    assert "flight_schedule_change" in error["msg"]
    assert care.wrote_nothing()


@pytest.mark.parametrize("delay", [0, "0", -0.0, 90, "about 90", "TBD"])
async def test_a_delay_of_zero_or_more_or_not_a_number_is_taken(
    desk: tuple[Care, httpx.AsyncClient], delay: object
) -> None:
    _, http = desk
    raw = body(kind="flight_delayed", details={"delay_minutes": delay})
    headers = {HEADER: signed(raw), "content-type": "application/json"}

    taken = await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)

    assert taken.status_code == 202, taken.text


async def test_a_negative_delay_on_the_bus_is_dead_lettered() -> None:
    care = Care()
    status = events.SupplierStatusChanged(
        partner="ca",
        kind="flight_delayed",
        reference="CA1501",
        service_date=T0.date(),
        details={"delay_minutes": "-30"},
        reported_at=T0,
    )

    with pytest.raises(ValidationError, match="delay_minutes"):
        await care.care.supplier_status(envelope(status, tenant="_suppliers"))

    assert care.outbox.messages == []
