""" "That did not help" on a ticket nobody has answered yet told the traveller "a routed
ticket cannot be reopened" — staff wording, in English, on a traveller's page. Now the
traveller reads, in their language, that the request is already with the team (or, closed,
that they may write again); the 409 stays, and the JSON keeps a machine-readable ``reason``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from contracts import events
from contracts.events import Priority
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake.api import tracking as tracking_api
from services.intake.domain import Ticket, TicketStatus
from services.intake.pages import tracking as tracking_page
from services.intake.pages.tracking_view import WORDS
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, TRAVELLER, contact
from tests.fakes import FakeDatabase, RecordingOutbox

SIGNER = Signer("tracking-refusal-test-secret-0123456789")


@dataclass
class Link:
    http: httpx.AsyncClient
    intake: Intake
    ticket_id: str
    token: str

    async def ticket(self) -> Ticket:
        return await self.intake.get("acme", self.ticket_id)


def routed(ticket: Ticket) -> None:
    ticket.apply_routing(
        events.TicketRouted(
            ticket_id=ticket.id,
            traveller=TRAVELLER,
            queue="disruption",
            assignee=None,
            priority=Priority.HIGH,
            first_response_due=T0 + timedelta(minutes=15),
            resolution_due=T0 + timedelta(hours=4),
            reason="no qualified agent available",
            routed_at=T0 + timedelta(minutes=1),
        )
    )


@pytest.fixture
async def link() -> AsyncIterator[Link]:
    db, clock = FakeDatabase(), FakeClock(T0)
    repo = Repository(db, "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ticket, _ = await intake.receive_contact("acme", contact())
    await intake.act("acme", ticket.id, routed)
    app = FastAPI()
    app.state.intake = intake
    app.include_router(tracking_api.router)
    app.include_router(tracking_page.router)
    install_error_handlers(app)
    token = intake.tracking_url("acme", ticket.id).rsplit("/", 1)[1]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield Link(http, intake, ticket.id, token)


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en", "ja"])
async def test_not_helped_on_a_routed_ticket_says_it_is_with_the_team_in_their_language(
    link: Link, language: str
) -> None:
    answer = await link.http.post(f"/v1/track/{link.token}/not-helped?lang={language}")

    assert answer.status_code == 409, answer.text
    assert answer.json() == {
        "detail": WORDS(language)["refused_with_our_team"],
        "reason": "with_our_team",
    }
    assert "routed" not in answer.json()["detail"]
    assert (await link.ticket()).status is TicketStatus.ROUTED


async def test_the_refusal_reads_in_the_tickets_language_by_default(link: Link) -> None:
    answer = await link.http.post(f"/v1/track/{link.token}/not-helped")

    assert answer.json()["detail"] == "您的请求已在我们团队处理中，我们会在这里回复您。"
    assert WORDS("en")["refused_with_our_team"] == (
        "Your request is already with our team; we will reply here."
    )


async def test_not_helped_on_a_closed_ticket_says_so_for_a_traveller(link: Link) -> None:
    await link.intake.act("acme", link.ticket_id, lambda t: t.close(by="agent-7", now=T0))

    answer = await link.http.post(f"/v1/track/{link.token}/not-helped?lang=en")

    assert (answer.status_code, answer.json()) == (
        409,
        {"detail": WORDS("en")["refused_closed"], "reason": "closed"},
    )


async def test_the_page_says_the_same_words(link: Link) -> None:
    page = await link.http.post(f"/track/{link.token}/not-helped?lang=ja")

    assert page.status_code == 409
    assert WORDS("ja")["refused_with_our_team"] in page.text


async def test_a_staff_language_cookie_does_not_change_the_travellers_page(link: Link) -> None:
    """The console remembers a staff member's ``?lang=`` in ``tripcare_lang``, a cookie of
    the host that also serves the tracking page: an agent opening the traveller's link read
    it in their own language, not the one the traveller reads (docs/api.md)."""
    cookie = {"cookie": "tripcare_lang=ja"}

    answer = await link.http.get(
        f"/v1/track/{link.token}", headers={"accept": "application/json", **cookie}
    )
    page = await link.http.get(f"/track/{link.token}", headers=cookie)

    assert answer.json()["language"] == "zh-Hans"
    assert '<html lang="zh-Hans"' in page.text
    asked = await link.http.get(f"/v1/track/{link.token}?lang=ja", headers=cookie)
    assert asked.json()["language"] == "ja", "?lang= still picks"
