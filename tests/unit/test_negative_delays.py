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

from services.routing.api import suppliers
from tests.unit.test_supplier_care import Care, on_the_bus, post_details
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

    refused = await post_details(http, {"delay_minutes": delay})

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

    taken = await post_details(http, {"delay_minutes": delay})

    assert taken.status_code == 202, taken.text


async def test_a_negative_delay_on_the_bus_is_dead_lettered() -> None:
    care = Care()

    with pytest.raises(ValidationError, match="delay_minutes"):
        await on_the_bus(care, {"delay_minutes": "-30"})

    assert care.outbox.messages == []
