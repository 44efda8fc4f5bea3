"""A ``delay_minutes`` beyond a week is refused where the event is read, naming the key.

``10**30`` or a 400-digit number went straight into the agents' summary ("+1000…0 min")
and the traveller's notice ("delayed by 1000…0 minutes"): no flight or train is late by
more than a week, so such a value is a partner's bug, answered 422 over HTTP and a dead
letter on the bus, nothing written or told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import ValidationError

from services.routing.api import suppliers
from services.routing.care.domain.suppliers import MAX_DELAY_MINUTES
from tests.unit.test_supplier_care import Care, on_the_bus, post_details
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

    refused = await post_details(http, {"delay_minutes": delay})

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "details", "delay_minutes"]
    assert f"at most {MAX_DELAY_MINUTES}" in error["msg"]
    assert care.wrote_nothing()


async def test_a_delay_of_a_week_is_taken(desk: tuple[Care, httpx.AsyncClient]) -> None:
    _, http = desk

    taken = await post_details(http, {"delay_minutes": MAX_DELAY_MINUTES})

    assert taken.status_code == 202, taken.text


@pytest.mark.parametrize("delay", ["1" * 400, str(10**30)])
async def test_a_delay_beyond_a_week_on_the_bus_is_dead_lettered(delay: str) -> None:
    care = Care()

    with pytest.raises(ValidationError, match="delay_minutes"):
        await on_the_bus(care, {"delay_minutes": delay})

    assert care.outbox.messages == []
