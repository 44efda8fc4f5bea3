"""An agent's search finds a ticket whatever Chinese script either side wrote in, and the
booking number a traveller's IME typed full-width: 发票 finds 發票, 退票 finds 退票 and
``CA1501`` finds ``ＣＡ１５０１``. The search was a literal match."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from runtime.clock import FakeClock
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake.api import tickets
from services.intake.domain import Ticket
from services.intake.domain.search import search_pattern
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_ticket_list_search import SIGNER, Desk


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("发票", "請幫我重開發票，抬頭錯了"),
        ("發票", "请帮我重开发票"),
        ("机票 退款", "機票 退款什麼時候到？"),
        ("CA1501", "我的航班ＣＡ１５０１取消了"),
        ("ca1501", "我的航班ＣＡ１５０１取消了"),
        ("a+b (c)", "a+b (c)"),
    ],
)
def test_search_words_match_either_script_and_full_width(typed: str, written: str) -> None:
    assert re.search(search_pattern(typed), written, re.I)


def test_search_words_still_match_only_themselves() -> None:
    assert not re.search(search_pattern("发票"), "发货", re.I)
    assert not re.search(search_pattern("a.b"), "axb", re.I)


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    db, clock = FakeDatabase(), FakeClock(T0)
    repo = Repository(db, "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ids = []
    for n, text in enumerate(["請幫我重開發票，抬頭錯了", "我的航班ＣＡ１５０１取消了"]):
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


async def test_the_ticket_list_finds_the_other_script_and_full_width(desk: Desk) -> None:
    invoice, flight = desk.ids
    assert await desk.found(q="发票") == [invoice]
    assert await desk.found(q="重开发票") == [invoice]
    assert await desk.found(q="CA1501") == [flight]
    assert await desk.found(q="发货") == []
