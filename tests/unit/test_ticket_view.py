"""``GET /v1/tickets/{id}``: the ticket's own steps with notify's delivered notices merged in,
read from notify's own API as the caller; without notify, the ticket all the same."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from contracts import events
from runtime.clock import FakeClock
from runtime.web import install_error_handlers
from services.intake.notify_reader import NotifyReader
from services.notify.api import ROUTERS as NOTIFY_ROUTERS
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, TRAVELLER, contact, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_gateway_keys import STAFF, client, intake_replica, staff
from tests.unit.test_handlers import repository


async def notify_for(ticket_id: str, clock: FakeClock) -> FastAPI:
    """Notify's API over a store holding the ticket's acknowledgement, delivered in-app."""
    notifier = Notifier(repository(Delivery, RecordingOutbox()), Renderer(), clock)
    acknowledged = events.TicketAcknowledged(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=TRAVELLER,
        tracking_url="https://track/x",
        acknowledged_at=T0,
    )
    await notifier.notify(envelope(acknowledged))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=STAFF, clock=clock)
    app.state.notifier = notifier
    for router in NOTIFY_ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    return app


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
    notify = await notify_for(ticket_id, clock)
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
