"""While a ticket waits on its traveller, support owes them no answer: the tracking page says
it waits for their reply instead of promising one by the paused resolution deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from contracts.languages import LANGUAGES
from runtime.clock import FakeClock
from runtime.store import Repository
from services.intake.domain import Ticket
from services.intake.pages import tracking as tracking_page
from services.intake.pages.tracking_view import WORDS, tracking_view
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_ticket import opened_ticket, routed
from tests.unit.test_tracking_time_zones import SIGNER


def waiting_on_traveller() -> Ticket:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket, assignee="agent-7"))
    ticket.reply(message="Which date suits you?", agent="agent-7", now=T0 + timedelta(minutes=5))
    ticket.wait(on="traveller", by="agent-7", now=T0 + timedelta(minutes=6))
    return ticket


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_ticket_waiting_on_its_traveller_expects_no_answer_from_us(language: str) -> None:
    view = tracking_view(waiting_on_traveller(), language)

    assert (view.expected_answer_by, view.expected_answer_by_text) == (None, None)
    assert view.waiting_on_you is True


def test_a_ticket_being_worked_still_expects_an_answer() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket, assignee="agent-7"))

    view = tracking_view(ticket, "en")

    assert (view.expected_answer_by, view.waiting_on_you) == (T0 + timedelta(minutes=15), False)


async def waiting_page(on: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The tracking page of an assigned ticket whose agent now waits ``on`` someone."""
    clock = FakeClock(T0)
    repo = Repository(FakeDatabase(), "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ticket, _ = await intake.receive_contact("acme", contact())
    await intake.act("acme", ticket.id, lambda t: t.apply_routing(routed(t, assignee="a-1")))
    await intake.act("acme", ticket.id, lambda t: t.wait(on=on, by="a-1", now=T0))
    web = FastAPI()
    web.state.intake = intake
    web.include_router(tracking_page.router)
    token = intake.tracking_url("acme", ticket.id).rsplit("/", 1)[1]
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http, token


@pytest.fixture
async def page() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async for served in waiting_page("traveller"):
        yield served


@pytest.fixture
async def supplier_page() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async for served in waiting_page("supplier"):
        yield served


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_page_says_it_waits_for_the_travellers_reply(
    page: tuple[httpx.AsyncClient, str], language: str
) -> None:
    http, token = page

    shown = (await http.get(f"/track/{token}?lang={language}")).text

    words = WORDS(language)
    assert f"<dt>{words['expected']}</dt><dd>{words['expected_after_your_reply']}</dd>" in shown


def waiting_on_supplier() -> Ticket:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket, assignee="agent-7"))
    ticket.reply(message="We asked the airline.", agent="agent-7", now=T0 + timedelta(minutes=5))
    ticket.wait(on="supplier", by="agent-7", now=T0 + timedelta(minutes=6))
    return ticket


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_ticket_waiting_on_a_supplier_promises_no_paused_deadline(language: str) -> None:
    view = tracking_view(waiting_on_supplier(), language)

    assert (view.expected_answer_by, view.expected_answer_by_text) == (None, None)
    assert (view.waiting_on_supplier, view.waiting_on_you) == (True, False)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_page_says_support_waits_on_the_supplier_with_the_clock_paused(
    supplier_page: tuple[httpx.AsyncClient, str], language: str
) -> None:
    http, token = supplier_page

    shown = (await http.get(f"/track/{token}?lang={language}")).text

    words = WORDS(language)
    assert f"<dt>{words['expected']}</dt><dd>{words['expected_waiting_on_supplier']}</dd>" in shown
