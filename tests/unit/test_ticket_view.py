"""``GET /v1/tickets/{id}``: the ticket's own steps with notify's delivered notices merged in,
read from notify's own API as the caller; without notify, the ticket all the same."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from runtime.clock import FakeClock
from services.intake.notify_reader import NotifyReader
from tests.factories import T0, TRAVELLER, contact
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import client, intake_replica, notify_app, staff


@pytest.fixture
async def intake() -> tuple[FastAPI, str, FakeClock]:
    clock = FakeClock(T0)
    app = intake_replica(FakeDatabase(), clock)
    ticket, _ = await app.state.intake.receive_contact("acme", contact())
    return app, ticket.id, clock


async def view(app: FastAPI, ticket_id: str) -> dict[str, object]:
    async with client(app) as http:
        seen = await http.get(f"/v1/tickets/{ticket_id}", headers=staff())
    assert seen.status_code == 200, seen.text
    body: dict[str, object] = seen.json()
    return body


async def test_the_view_merges_the_notices_notify_delivered_for_the_ticket(
    intake: tuple[FastAPI, str, FakeClock],
) -> None:
    app, ticket_id, clock = intake
    notify = await notify_app(clock, ticket_id, (TRAVELLER,))
    app.state.notify = NotifyReader("http://notify", transport=httpx.ASGITransport(app=notify))
    body = await view(app, ticket_id)
    timeline = body["timeline"]
    assert isinstance(timeline, list)
    assert [step["kind"] for step in timeline] == ["received", "acknowledged", "notified"]
    assert timeline[-1]["summary"] == "ticket_acknowledged delivered via in_app"
    assert body["deliveries_unavailable"] is False


async def test_without_notify_the_view_is_the_ticket_and_says_what_it_lacks(
    intake: tuple[FastAPI, str, FakeClock],
) -> None:
    app, ticket_id, _ = intake

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app.state.notify = NotifyReader("http://notify", transport=httpx.MockTransport(refused))
    body = await view(app, ticket_id)
    assert body["deliveries_unavailable"] is True
    timeline = body["timeline"]
    assert isinstance(timeline, list)
    assert [step["kind"] for step in timeline] == ["received", "acknowledged"]
