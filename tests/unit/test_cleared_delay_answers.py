"""A first report of a delay already cleared names no incident: none opens.

A ``flight_delayed`` with ``delay_minutes`` 0 that nobody was told of a delay before opens
no incident and tells nobody (docs/suppliers.md), yet the 202 named ``incident_id``
``INC-…`` with ``reason`` null, which the tenant whose traveller holds the flight answered
404 at ``GET /v1/incidents/{id}``: the partner, and the operator reading its log, were told
an incident exists. The answer now has ``incident_id`` null and says why; once travellers
were told of the delay, the same event names the incident it revises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.routing.api import incidents, suppliers
from tests.unit.test_supplier_answers import AGENT, report
from tests.unit.test_supplier_care import DAY, Care
from tests.unit.test_supplier_edges import care_desk

DELAY = {"kind": "flight_delayed", "reference": "CA1501", "service_date": DAY.isoformat()}


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router, incidents.router) as http:
        yield care, http


@pytest.mark.parametrize("cleared", [0, "0", 0.0])
async def test_a_cleared_delay_reported_first_names_no_incident_and_says_why(
    desk: tuple[Care, httpx.AsyncClient], cleared: object
) -> None:
    care, http = desk
    await care.book("acme", 1)

    answer = await report(care, http, **DELAY, event_id="d-0", details={"delay_minutes": cleared})

    assert answer["incident_id"] is None
    assert "nobody was told of a delay" in answer["reason"]
    assert (answer["outcome"], answer["known_kind"]) == ("accepted", True)


async def test_a_cleared_delay_after_a_told_one_names_the_incident_it_revises(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    await care.book("acme", 1)
    told = await report(care, http, **DELAY, event_id="d-1", details={"delay_minutes": 90})

    cleared = await report(care, http, **DELAY, event_id="d-2", details={"delay_minutes": 0})

    assert (cleared["incident_id"], cleared["reason"]) == (told["incident_id"], None)
    view = await http.get(f"/v1/incidents/{cleared['incident_id']}", headers=AGENT)
    assert view.status_code == 200
    assert view.json()["revision"] == 2
