"""The tracking page names the request: its subject, and for a proactive ticket what the
disruption is now. It showed only generic steps ("The disruption changed"), so a traveller
with two open requests could not tell them apart, and a cancelled flight's page never said
it was cancelled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from runtime.clock import FakeClock
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake.api import tracking as tracking_api
from services.intake.domain import Ticket
from services.intake.pages import tracking as tracking_page
from services.intake.pages.tracking_view import WORDS, tracking_view
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, contact, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_proactive_subject import CANCELLED, DELAYED, revision
from tests.unit.test_proactive_tickets import Desk
from tests.unit.test_tracking_refusals import SIGNER

HOSTILE = "<script>alert('x')</script> 改签CA1501 ＆ 发票"


@asynccontextmanager
async def pages(intake: Intake) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.intake = intake
    app.include_router(tracking_api.router)
    app.include_router(tracking_page.router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http


def new_intake() -> Intake:
    clock = FakeClock(T0)
    repo = Repository(FakeDatabase(), "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    return Intake(TicketStore(repo), clock, SIGNER, "http://intake")


def token(intake: Intake, ticket_id: str) -> str:
    return intake.tracking_url("acme", ticket_id).rsplit("/", 1)[1]


async def test_the_page_shows_the_subject_escaped_under_the_languages_label() -> None:
    intake = new_intake()
    ticket, _ = await intake.receive_contact("acme", contact(subject=HOSTILE))
    assert tracking_view(ticket, "zh-Hans").subject == HOSTILE

    async with pages(intake) as http:
        page = await http.get(f"/track/{token(intake, ticket.id)}")

    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 改签CA1501 ＆ 发票" in page.text
    assert f"<dt>{WORDS('zh-Hans')['subject']}</dt>" in page.text


async def test_a_request_without_a_subject_is_named_by_the_first_line_of_its_words() -> None:
    """In-app, chat and WeChat contacts have no subject: their first words name them."""
    intake = new_intake()
    long_line = "我的航班CA1501被取消了" + "，请尽快帮我改签" * 10
    first, _ = await intake.receive_contact("acme", contact(text=f"{long_line}\n订单号 bk-7"))
    other = contact(channel_message_id="app-msg-2", conversation_key="2", text="发票抬头错了")
    second, _ = await intake.receive_contact("acme", other)

    named = tracking_view(first, "zh-Hans").subject
    assert named is not None
    assert named.startswith("我的航班CA1501被取消了")
    assert (named.endswith("…"), len(named) <= 81, "bk-7" in named) == (True, True, False)
    assert tracking_view(second, "zh-Hans").subject == "发票抬头错了"


async def test_a_proactive_ticket_shows_the_latest_revision_in_the_travellers_words() -> None:
    """Its subject is the revision's summary for agents, in English ("flight cancelled: …"):
    the page says the same in the traveller's language."""
    desk = Desk()
    await desk.desk.proactive_contact(
        envelope(revision(1, "flight_delayed", DELAYED), message_id="m-1")
    )
    ticket = await desk.desk.proactive_contact(
        envelope(revision(2, "flight_cancelled", CANCELLED), message_id="m-2")
    )

    assert tracking_view(ticket, "ja").subject == "2026年11月25日のCA1501便が欠航となりました"
    english = "Your flight CA1501 on 25 Nov 2026 has been cancelled"
    assert tracking_view(ticket, "en").subject == english
    async with pages(desk.intake) as http:
        page = await http.get(f"/track/{token(desk.intake, ticket.id)}")
    assert "2026年11月25日のCA1501便が欠航となりました" in page.text
    assert f"<dt>{WORDS('ja')['subject']}</dt>" in page.text
    for inside in ("flight cancelled:", "flight delayed:", "INC-1", "bk-7", "routing"):
        assert inside not in page.text, inside
