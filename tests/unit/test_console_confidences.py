"""The agent console shows what the classifier read, with every confidence, and a ticket that
needs a human look says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.staff_session import COOKIE, StaffSession
from runtime.store import Repository
from services.intake.domain import Ticket
from services.intake.incidents import IncidentDesk
from services.intake.live_feed import LiveFeed
from services.intake.pages import console
from services.intake.routing_reader import CaseInfo, RoutingReader, confidences
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_consoles import Deliveries

SIGNER = Signer("console-confidence-secret-0123456789")
CASE = {
    "category": "flight_disruption",
    "category_confidence": 0.42,
    "urgency": "critical",
    "urgency_confidence": 0.96,
    "sentiment": "negative",
    "sentiment_confidence": 0.88,
    "language": "zh-Hans",
    "language_confidence": 0.99,
    "needs_human_look": True,
}


class UnsureRouting(RoutingReader):
    """Routing answers with a case the classifier was unsure of."""

    def __init__(self) -> None:
        super().__init__("http://routing.invalid")

    async def case_info(self, token: str, ticket_id: str, *args: object, **kw: object) -> CaseInfo:
        return CaseInfo(
            urgency="critical",
            sentiment="negative",
            confidences=confidences(CASE),
            needs_human_look=True,
        )


@pytest.fixture
async def page() -> AsyncIterator[str]:
    async with ticket_page(UnsureRouting()) as text:
        yield text


@asynccontextmanager
async def ticket_page(routing: RoutingReader, staff: Principal | None = None) -> AsyncIterator[str]:
    """A ticket's console page, as ``staff`` (an agent of its tenant unless given) sees it
    with ``routing``'s answers."""
    clock = FakeClock(T0)
    repo = Repository(FakeDatabase(), "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ticket, _ = await intake.receive_contact("acme", contact())
    session = StaffSession(SIGNER, clock, dev_login=False, home="/console")
    app = FastAPI()
    app.include_router(session.router())
    app.state.console = console.Console(
        intake, session, LiveFeed(), routing, IncidentDesk(intake), Deliveries([])
    )
    app.include_router(console.router)
    staff = staff or Principal(id="a-1", role=Role.AGENT, tenants=["acme"])
    token = issue_token(SIGNER, staff, timedelta(1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        http.cookies.set(COOKIE, token)
        http.cookies.set("tripcare_tenant", "acme")
        answer = await http.get(f"/console/tickets/{ticket.id}?lang=en")
        assert answer.status_code == 200
        yield answer.text


def test_the_case_confidences_are_read_for_every_classified_field() -> None:
    assert confidences(CASE) == {
        "category": ("flight_disruption", 0.42),
        "urgency": ("critical", 0.96),
        "sentiment": ("negative", 0.88),
        "language": ("zh-Hans", 0.99),
    }
    assert confidences({"category": "invoice"}) == {}, "a case without confidences shows none"


async def test_the_ticket_page_shows_every_confidence_and_the_human_look(page: str) -> None:
    for shown in (
        "flight_disruption · 42%",
        "critical · 96%",
        "negative · 88%",
        "zh-Hans · 99%",
        "Needs a human look",
    ):
        assert shown in page


def routing_answering(case: dict[str, Any], tenants: int = 1) -> RoutingReader:
    """Routing's API as the console reads it: this case file, and nothing else it asks for.
    Like routing, it refuses (400) a token of several ``tenants`` that names none."""

    def answer(request: httpx.Request) -> httpx.Response:
        if tenants > 1 and request.headers.get("X-Tenant-Id") != "acme":
            return httpx.Response(400, json={"detail": "name the tenant in X-Tenant-Id"})
        if request.url.path.startswith("/v1/cases/"):
            return httpx.Response(200, json=case)
        return httpx.Response(200, json=[])

    return RoutingReader("http://routing", transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("set_by", "shown"), [("agent-7", "set by agent-7"), ("transfer", "set by a transfer")]
)
async def test_a_category_a_person_set_shows_who_set_it_not_a_confidence(
    set_by: str, shown: str
) -> None:
    """Routing's case file said 1.0 for a category an agent or a transfer set, and the console
    showed it as the classifier's 100 %."""
    case = {**CASE, "category": "reimbursement", "category_confidence": None}

    async with ticket_page(routing_answering({**case, "category_set_by": set_by})) as text:
        assert f"Category: reimbursement · {shown}" in text
        assert "100%" not in text
        assert "critical · 96%" in text, "the classifier's other readings stay"


async def test_staff_of_several_tenants_see_the_case_routing_keeps_for_the_tickets_tenant() -> None:
    """The console asked routing for the case without ``X-Tenant-Id``: for a manager of
    several tenants routing refused (400) and the case panel stayed empty."""
    both = Principal(id="mgr-1", role=Role.MANAGER, tenants=["globex", "acme"])

    async with ticket_page(routing_answering(CASE, tenants=2), both) as text:
        assert "critical · 96%" in text
        assert "Needs a human look" in text
