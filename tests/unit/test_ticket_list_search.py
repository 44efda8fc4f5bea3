"""The staff's ticket list, ``GET /v1/tickets``: its search and its filters.

``?q=`` found a booking reference typed in lower case (``ca1501``) but not a ticket id
(``tc-…``): ids are upper case (``TC-`` + base32) and were matched exactly. And an empty
``status=`` (a browser's form sends its empty fields) was a 422 while an empty ``queue=``,
``assignee=`` or ``category=`` was ignored: now an empty filter is no filter, whichever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake.api import tickets
from services.intake.domain import Ticket
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox

SIGNER = Signer("ticket-list-test-secret-0123456789abcdef")
AGENT = Principal(id="agent-7", role=Role.AGENT, tenants=["acme"])
HEADERS = {"Authorization": f"Bearer {issue_token(SIGNER, AGENT, timedelta(hours=1))}"}


@dataclass
class Desk:
    http: httpx.AsyncClient
    ids: list[str]

    async def found(self, **params: str) -> list[str]:
        answer = await self.http.get("/v1/tickets", params=params, headers=HEADERS)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]


@asynccontextmanager
async def ticket_desk(*texts: str) -> AsyncIterator[Desk]:
    """Intake's ticket list on in-memory stores, with one acme ticket opened per text, a
    minute apart (``Desk.ids`` in the texts' order)."""
    db, clock = FakeDatabase(), FakeClock(T0)
    repo = Repository(db, "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ids = []
    for n, text in enumerate(texts):
        clock.advance(timedelta(minutes=1))
        ticket, _ = await intake.receive_contact(
            "acme", contact(channel_message_id=f"app-msg-{n}", text=text)
        )
        ids.append(ticket.id)
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    app.state.intake = intake
    app.include_router(tickets.router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield Desk(http, ids)


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    async with ticket_desk("我的航班CA1501被取消了", "Where is my refund for the hotel?") as desk:
        yield desk


async def test_a_ticket_id_is_found_in_any_case(desk: Desk) -> None:
    _, refund = desk.ids
    assert refund.startswith("TC-")

    assert await desk.found(q=refund) == [refund]
    assert await desk.found(q=refund.lower()) == [refund]
    assert await desk.found(q=refund.title()) == [refund]


async def test_a_booking_reference_is_found_in_any_case(desk: Desk) -> None:
    flight, _ = desk.ids
    assert await desk.found(q="CA1501") == [flight]
    assert await desk.found(q="ca1501") == [flight]


@pytest.mark.parametrize("field", ["status", "queue", "assignee", "category", "q"])
async def test_an_empty_filter_is_no_filter(desk: Desk, field: str) -> None:
    everything = await desk.found()
    assert len(everything) == 2

    assert await desk.found(**{field: ""}) == everything


async def test_every_filter_empty_at_once_as_a_form_sends_them(desk: Desk) -> None:
    blank = dict.fromkeys(["status", "queue", "assignee", "category", "q", "cursor"], "")
    assert len(await desk.found(**blank)) == 2


async def test_an_unknown_status_is_still_a_422_naming_it(desk: Desk) -> None:
    answer = await desk.http.get("/v1/tickets", params={"status": "lost"}, headers=HEADERS)

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "status"]


async def test_a_known_status_still_filters(desk: Desk) -> None:
    statuses = {
        item["status"]
        for item in (await desk.http.get("/v1/tickets", headers=HEADERS)).json()["items"]
    }
    [one] = statuses
    assert len(await desk.found(status=one)) == 2
    assert await desk.found(status="closed") == []
