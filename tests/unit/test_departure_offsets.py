"""A ``new_departure`` sent without a UTC offset is refused, naming the key, not guessed.

It was read as UTC: a partner sending the airport's local time (``14:30`` in Shanghai) told
every traveller 22:30 (UTC+08:00), eight hours off, and compared it as such. TripCare ships no
airport or station time zones (an event names a flight, not an airport), and a booking's
segment keeps only the fixed offset of its booked departure, which is an hour off for a
departure moved across a daylight-saving change (below): so the partner hears a 422 asking
for the offset (a dead letter on the bus), and nothing is written or told. A time with its
offset is read as that instant on either side of the change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from pydantic import ValidationError

from services.routing.api import suppliers
from services.routing.care.domain.changes import Snapshot, back_on_schedule, material_change
from services.routing.care.domain.suppliers import check_departure
from tests.unit.test_supplier_care import Care, on_the_bus, post_details
from tests.unit.test_supplier_edges import care_desk

# London's clocks go forward at 01:00 UTC on 29 March 2026: 00:30 GMT, then 02:30 BST.
BOOKED = "2026-03-29T00:30:00+00:00"


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router) as http:
        yield care, http


@pytest.mark.parametrize(
    "departure", ["2026-11-26T14:30:00", "2026-03-29T02:30", "2026-11-26 14:30:00", "2026-11-26"]
)
@pytest.mark.parametrize("kind", ["flight_delayed", "train_schedule_change"])
async def test_a_departure_without_an_offset_is_a_422_naming_the_key(
    desk: tuple[Care, httpx.AsyncClient], departure: str, kind: str
) -> None:
    care, http = desk

    refused = await post_details(http, {"new_departure": departure}, kind=kind)

    assert refused.status_code == 422, refused.text
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "details", "new_departure"]
    assert "UTC offset" in error["msg"]
    assert care.wrote_nothing()


@pytest.mark.parametrize(
    "departure",
    ["2026-11-26T14:30:00+08:00", "2026-11-26T06:30:00Z", "TBD", "14:30", "0001-01-01T00:00:00"],
)
async def test_a_departure_with_an_offset_or_not_a_time_is_taken(
    desk: tuple[Care, httpx.AsyncClient], departure: str
) -> None:
    """Not a date-time (``TBD``) is kept and never compared, as before; nor is a partner's
    "no time" sentinel (.NET's ``DateTime.MinValue``), outside the years an instant may be."""
    _, http = desk

    taken = await post_details(http, {"new_departure": departure})

    assert taken.status_code == 202, taken.text


async def test_a_departure_without_an_offset_on_the_bus_is_dead_lettered() -> None:
    care = Care()

    with pytest.raises(ValidationError, match="new_departure"):
        await on_the_bus(care, {"new_departure": "2026-11-26T14:30:00"})

    assert care.outbox.messages == []


def test_the_bookings_offset_would_be_an_hour_off_across_the_change() -> None:
    """Why no offset is guessed from the booking: 02:30 local after the change is 01:30 UTC,
    60 minutes after the booked 00:30 GMT; read in the booked +00:00 it is 02:30 UTC."""
    with pytest.raises(ValidationError):
        check_departure({"new_departure": "2026-03-29T02:30:00"})
    check_departure({"new_departure": "2026-03-29T02:30:00+01:00"})


@pytest.mark.parametrize(
    ("before", "after", "news"),
    [
        ("2026-03-29T00:30:00+00:00", "2026-03-29T02:15:00+01:00", False),  # 45 min later
        ("2026-03-29T00:30:00+00:00", "2026-03-29T02:45:00+01:00", True),  # 75 min later
        ("2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00", True),  # the hour repeated
    ],
)
def test_departures_with_offsets_compare_as_instants_across_the_change(
    before: str, after: str, news: bool
) -> None:
    told = Snapshot(kind="flight_delayed", details={"new_departure": before})
    now = Snapshot(kind="flight_delayed", details={"new_departure": after})

    assert (material_change(told, now) is not None) is news


def test_a_departure_at_the_booked_instant_in_summer_time_is_back_on_schedule() -> None:
    booked = datetime.fromisoformat(BOOKED)
    same = {"new_departure": "2026-03-29T00:30:00+00:00"}
    later = {"new_departure": "2026-03-29T02:30:00+01:00"}  # 01:30Z: an hour late

    assert back_on_schedule("flight_delayed", same, booked)
    assert not back_on_schedule("flight_delayed", later, booked)
