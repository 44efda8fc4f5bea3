"""What the signed supplier ingress answers names only an incident that can exist. An event
about a service date over (more than two days past: ``incidents.over``) tells nobody and
opens no incident, yet the 202 named ``incident_id`` ``INC-…``, which every tenant's
``GET /v1/incidents/{id}`` answered 404 (the README's demo date, once past, did just that).
Now such an answer has ``incident_id`` null and a ``reason``; an unknown kind too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from runtime.auth import Role
from runtime.webhook_signature import HEADER
from services.routing.api import incidents, suppliers
from services.routing.care.store import INCIDENTS
from tests.factories import T0
from tests.unit.test_supplier_care import Care, body, signed
from tests.unit.test_supplier_edges import care_desk, staff_of

AGENT = staff_of("acme", Role.AGENT, "agent-1")


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router, incidents.router) as http:
        yield care, http


async def report(care: Care, http: httpx.AsyncClient, **event: Any) -> dict[str, Any]:
    """Post one signed event, then deliver what it published as the bus would."""
    raw = body(**event)
    seen = {m.message_id for m in care.outbox.messages}
    answer = await http.post(
        "/v1/suppliers/ca/events",
        content=raw,
        headers={HEADER: signed(raw, at=int(T0.timestamp())), "content-type": "application/json"},
    )
    assert answer.status_code == 202, answer.text
    for status in care.published("supplier.status"):
        if status.message_id not in seen:
            await care.care.supplier_status(status)
    for revised in care.published("disruption.revised"):
        if revised.message_id not in seen:
            await care.care.disruption_revised(revised)
    return dict(answer.json())


@pytest.mark.parametrize("days_ago", [3, 30, 365 * 20])
async def test_an_event_about_a_date_over_names_no_incident_and_says_why(
    desk: tuple[Care, httpx.AsyncClient], days_ago: int
) -> None:
    care, http = desk
    await care.book("acme", 1, hours=-24 * days_ago)
    day = (T0 - timedelta(days=days_ago)).date().isoformat()

    answer = await report(care, http, service_date=day)

    assert answer["incident_id"] is None
    assert f"service date {day} is over" in answer["reason"]
    assert (answer["outcome"], answer["known_kind"]) == ("accepted", True)
    assert not care.db[INCIDENTS].docs


async def test_an_event_a_tenant_has_travellers_on_names_the_incident_it_opens(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    await care.book("acme", 1, hours=-20)
    yesterday = (T0 - timedelta(hours=20)).date().isoformat()

    answer = await report(care, http, service_date=yesterday)

    assert answer["reason"] is None
    shown = await http.get(f"/v1/incidents/{answer['incident_id']}", headers=AGENT)
    assert shown.status_code == 200, shown.text


async def test_an_unknown_kind_names_no_incident_and_says_why(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk

    answer = await report(care, http, kind="ash_cloud", event_id="ca-ev-ash")

    assert (answer["known_kind"], answer["incident_id"]) == (False, None)
    assert "unknown kind" in answer["reason"]
