"""A ``delay_minutes`` beyond a week is refused where the event is read, naming the key.

``10**30`` or a 400-digit number went straight into the agents' summary ("+1000…0 min")
and the traveller's notice ("delayed by 1000…0 minutes"): no flight or train is late by
more than a week, so such a value is a partner's bug, answered 422 over HTTP and a dead
letter on the bus, nothing written or told.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from pydantic import ValidationError

from contracts import events
from runtime.webhook_signature import HEADER
from services.routing.api import suppliers
from services.routing.care.domain.suppliers import MAX_DELAY_MINUTES
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import Care, body, signed
from tests.unit.test_supplier_edges import care_desk

TOO_LATE = [10**30, "1" * 400, MAX_DELAY_MINUTES + 1, "1e400", 1e300]


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router) as http:
        yield care, http


@pytest.mark.parametrize("delay", TOO_LATE)
async def test_a_delay_beyond_a_week_is_a_422_naming_the_key_and_nothing_is_written(
    desk: tuple[Care, httpx.AsyncClient], delay: object
) -> None:
    care, http = desk
    raw = json.dumps(
        {**orjson.loads(body(kind="flight_delayed")), "details": {"delay_minutes": delay}}
    ).encode()  # orjson: 64-bit ints only
    headers = {HEADER: signed(raw), "content-type": "application/json"}

    refused = await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "details", "delay_minutes"]
    assert f"at most {MAX_DELAY_MINUTES}" in error["msg"]
    assert care.wrote_nothing()


async def test_a_delay_of_a_week_is_taken(desk: tuple[Care, httpx.AsyncClient]) -> None:
    _, http = desk
    raw = body(kind="flight_delayed", details={"delay_minutes": MAX_DELAY_MINUTES})
    headers = {HEADER: signed(raw), "content-type": "application/json"}

    taken = await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)

    assert taken.status_code == 202, taken.text


@pytest.mark.parametrize("delay", ["1" * 400, str(10**30)])
async def test_a_delay_beyond_a_week_on_the_bus_is_dead_lettered(delay: str) -> None:
    care = Care()
    status = events.SupplierStatusChanged(
        partner="ca",
        kind="flight_delayed",
        reference="CA1501",
        service_date=T0.date(),
        details={"delay_minutes": delay},
        reported_at=T0,
    )

    with pytest.raises(ValidationError, match="delay_minutes"):
        await care.care.supplier_status(envelope(status, tenant="_suppliers"))

    assert care.outbox.messages == []
