"""The consoles without a browser: SLA clock rules, sign-in, agent actions, tracking, dashboard.

In-memory store and FastAPI over ASGI; every refused input answers 4xx with
the reason and leaves the ticket exactly as it was.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from faststream.rabbit import TestRabbitBroker
from httpx import MockTransport
from prometheus_client import CollectorRegistry
from starlette.requests import Request

from contracts import events
from contracts.events import Priority
from contracts.events import SlaClock as Target
from contracts.topology import Topology
from runtime.auth import Principal, Role, issue_token
from runtime.bus import Bus
from runtime.clock import FakeClock, epoch_ms
from runtime.pages import WordTable, reader_language, traveller_language
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.staff_session import COOKIE, StaffSession
from runtime.store import Repository
from runtime.telemetry import setup_tracing
from services.feedback import api as feedback_api
from services.feedback.config import FeedbackSettings
from services.feedback.domain.appeals import Appeal
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.surveys import Survey
from services.feedback.domain.traveller_pulse import TravellerPulse
from services.feedback.incidents_reader import IncidentsReader, OpenIncident
from services.feedback.pages import dashboard
from services.feedback.pages.dashboard import BadFilter, window
from services.feedback.pages.dashboard_view import Tile, queue_depths
from services.feedback.service import Feedback
from services.intake.domain import Ticket, TicketAttachment, TicketStatus
from services.intake.domain.deliveries import Delivered
from services.intake.domain.sla_clock import ClockState, clock_of, deadline_ms, state_at
from services.intake.incidents import IncidentDesk
from services.intake.live_feed import LiveFeed, subscribe_feed
from services.intake.notify_reader import NotifyReader
from services.intake.pages import console, tracking
from services.intake.routing_reader import CaseInfo, RoutingReader
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0, contact, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.feedback_story import NOW as STORY_NOW
from tests.feedback_story import a_day_at_the_desk
from tests.unit.test_agent_actions import Routing
from tests.unit.test_feedback_metrics import fold

SIGNER = Signer("console-test-secret-0123456789abcdef")
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ SLA clock


def test_the_clock_is_green_then_amber_in_the_last_quarter_then_red_when_due() -> None:
    started, due = 0, 60_000
    assert state_at(44_999, started, due) is ClockState.OK
    assert state_at(45_000, started, due) is ClockState.AMBER
    assert state_at(59_999, started, due) is ClockState.AMBER
    assert state_at(60_000, started, due) is ClockState.RED


def routed_ticket(status: TicketStatus = TicketStatus.ROUTED) -> Ticket:
    ticket = Ticket.open(
        "acme",
        contact(),
        contact_id="c-1",
        generation=1,
        language="zh-Hans",
        tracking_url="http://intake/t",
        now=T0,
    )
    ticket.first_response_due = T0 + timedelta(minutes=20)
    ticket.resolution_due = T0 + timedelta(hours=4)
    ticket.status = status
    return ticket


def test_first_response_runs_until_answered_then_resolution_and_waiting_pauses() -> None:
    ticket = routed_ticket()
    first = clock_of(ticket, T0 + timedelta(minutes=16))
    assert first is not None
    assert (first.target, first.state, first.remaining_s) == (
        Target.FIRST_RESPONSE,
        ClockState.AMBER,
        240,
    )
    ticket.first_response_at = T0 + timedelta(minutes=1)
    second = clock_of(ticket, T0 + timedelta(minutes=16))
    assert second is not None
    assert (second.target, second.state) == (Target.RESOLUTION, ClockState.OK)
    ticket.status = TicketStatus.WAITING_ON_SUPPLIER
    paused = clock_of(ticket, T0 + timedelta(hours=5))
    assert paused is not None
    assert paused.state is ClockState.PAUSED
    ticket.status = TicketStatus.RESOLVED
    assert clock_of(ticket, T0) is None


def test_a_reopen_runs_a_new_first_response_clock_from_the_reopen() -> None:
    """The reply from before the reopen answers nothing in the new run (docs/sla.md): the
    console showed the resolution deadline, timed from the ticket's opening."""
    ticket = routed_ticket()
    ticket.reply(message="done", agent="agent-7", now=T0 + timedelta(minutes=5))
    ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0 + timedelta(hours=1))
    reopened_at = T0 + timedelta(hours=2)
    ticket.reopen(reason="that did not help", by=ticket.traveller.id, now=reopened_at)
    assert clock_of(ticket, reopened_at) is None, "the earlier run's deadlines are no clock"
    ticket.apply_routing(
        events.TicketRouted(
            ticket_id=ticket.id,
            traveller=ticket.traveller,
            queue="disruption",
            assignee="agent-7",
            priority=Priority.HIGH,
            first_response_due=reopened_at + timedelta(minutes=20),
            resolution_due=reopened_at + timedelta(hours=4),
            reason="reopened",
            routed_at=reopened_at,
        )
    )

    clock = clock_of(ticket, reopened_at + timedelta(minutes=16))

    assert clock is not None
    assert (clock.target, clock.state, clock.remaining_s) == (
        Target.FIRST_RESPONSE,
        ClockState.AMBER,
        240,
    )
    assert clock.started_ms == epoch_ms(reopened_at)
    assert deadline_ms(ticket) == epoch_ms(reopened_at + timedelta(minutes=20))


# ------------------------------------------------------------------ words and languages


@pytest.mark.parametrize(
    "table",
    [
        "runtime/templates/login.json",
        "services/intake/templates/console/messages.json",
        "services/intake/templates/tracking/messages.json",
        "services/feedback/templates/dashboard/messages.json",
    ],
)
def test_every_word_table_speaks_all_four_languages(table: str) -> None:
    words = WordTable(ROOT / table)
    assert set(words.by_language) == {"zh-Hans", "zh-Hant", "en", "ja"}


def test_a_table_missing_a_translation_does_not_load(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": {"en": "Title", "ja": "タイトル"}}', "utf-8")
    with pytest.raises(ValueError, match="title/zh-Hans"):
        WordTable(broken)


def request_with(query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "query_string": query.encode(), "headers": raw})


def test_the_language_is_asked_for_then_remembered_then_the_travellers_then_the_browsers() -> None:
    assert reader_language(request_with("lang=ja")) == "ja"
    assert reader_language(request_with(headers={"cookie": "tripcare_lang=zh-Hant"})) == "zh-Hant"
    assert traveller_language(request_with(), "zh-Hans") == "zh-Hans"
    staff_cookie = request_with(headers={"cookie": "tripcare_lang=ja"})
    assert traveller_language(staff_cookie, "zh-Hans") == "zh-Hans", "a staff member's pick"
    assert traveller_language(request_with("lang=ja"), "zh-Hans") == "ja"
    assert reader_language(request_with(headers={"accept-language": "zh-TW,en;q=0.5"})) == (
        "zh-Hant"
    )
    assert reader_language(request_with(headers={"accept-language": "fr"})) == "en"


# ------------------------------------------------------------------ the console over ASGI


class NoRouting(RoutingReader):
    """Routing is down: the console still works, without suggestions."""

    def __init__(self) -> None:
        super().__init__("http://routing.invalid")

    async def case_info(
        self,
        token: str,
        tenant: str,
        ticket_id: str,
        text: str,
        language: str,
        incident_id: str | None = None,
        traveller_id: str | None = None,
    ) -> CaseInfo:
        return CaseInfo()


class Deliveries(NotifyReader):
    """Notify answers with these delivered notices, or not at all (None)."""

    def __init__(self, found: list[Delivered] | None = None) -> None:
        super().__init__("http://notify.invalid")
        self.found = found
        self.asked: list[tuple[str, str]] = []

    async def delivered(self, token: str, tenant: str, ticket_id: str) -> list[Delivered] | None:
        self.asked.append((tenant, ticket_id))
        return self.found


@dataclass
class Desk:
    http: httpx.AsyncClient
    intake: Intake
    ticket_id: str
    token: str
    console: console.Console

    async def ticket(self) -> Ticket:
        return await self.intake.get("acme", self.ticket_id)


def staff_token(role: Role = Role.AGENT) -> str:
    return issue_token(SIGNER, Principal(id="agent-7", role=role, tenants=["acme"]), timedelta(1))


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    db, clock = FakeDatabase(), FakeClock(T0)
    repo = Repository(db, "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ticket, _ = await intake.receive_contact("acme", contact())
    session = StaffSession(SIGNER, clock, dev_login=False, home="/console")
    app = FastAPI()
    app.include_router(session.router())
    app.state.intake = intake
    pages = console.Console(
        intake, session, LiveFeed(), NoRouting(), IncidentDesk(intake), Deliveries()
    )
    app.state.console = pages
    app.include_router(console.router)
    app.include_router(tracking.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield Desk(http, intake, ticket.id, staff_token(), pages)


async def test_without_a_session_the_console_sends_you_to_sign_in(desk: Desk) -> None:
    answer = await desk.http.get("/console")
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/console/login?next=/console",
    )
    assert (await desk.http.get("/console/events")).status_code == 401


async def test_a_form_posted_after_the_session_ran_out_signs_in_back_to_its_page(
    desk: Desk,
) -> None:
    """The form's own path answers no GET: sign-in must come back to the ticket, not a 405."""
    ticket = f"/console/tickets/{desk.ticket_id}"
    sent = await desk.http.post(f"{ticket}/reply", data={"message": "on it"})
    assert (sent.status_code, sent.headers["location"]) == (303, f"/console/login?next={ticket}")
    bulk = await desk.http.post("/console/incidents/INC-1/reply", data={"message": "on it"})
    assert bulk.headers["location"] == "/console/login?next=/console"
    assert (await desk.ticket()).timeline[-1].kind != "replied"


async def test_sign_in_refuses_a_bad_token_and_dev_login_when_it_is_off(desk: Desk) -> None:
    forged = await desk.http.post("/console/login", data={"token": "not-a-token"})
    assert (forged.status_code, "not valid" in forged.text) == (401, True)
    dev = await desk.http.post(
        "/console/login", data={"sub": "x", "role": "admin", "tenant": "acme"}
    )
    assert (dev.status_code, COOKIE in dev.headers.get("set-cookie", "")) == (422, False)
    good = await desk.http.post(
        "/console/login", data={"token": desk.token, "next": "//evil.example/"}
    )
    assert (good.status_code, good.headers["location"]) == (303, "/console")
    assert "httponly" in good.headers["set-cookie"].lower()
    assert "samesite=strict" in good.headers["set-cookie"].lower()


async def test_the_queue_lists_the_ticket_and_an_agent_replies_from_a_form(desk: Desk) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    page = await desk.http.get("/console?lang=en")
    assert page.status_code == 200
    assert f'data-ticket-id="{desk.ticket_id}"' in page.text
    detail = await desk.http.get(f"/console/tickets/{desk.ticket_id}")
    assert 'lang="zh-Hans"' in detail.text
    sent = await desk.http.post(
        f"/console/tickets/{desk.ticket_id}/reply", data={"message": "已为您改签"}
    )
    assert (sent.status_code, sent.headers["location"]) == (
        303,
        f"/console/tickets/{desk.ticket_id}?done=reply",
    )
    assert (await desk.ticket()).timeline[-1].kind == "replied"


async def test_the_ticket_page_shows_notifys_delivered_notices_or_says_it_cannot(
    desk: Desk,
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    pages = desk.console
    notice = Delivered(
        recipient="trav-42",
        channel="wecom",
        template="ticket_acknowledged",
        language="zh-Hans",
        delivered_at=T0 + timedelta(seconds=2),
    )
    pages.notify = Deliveries([notice])
    shown = await desk.http.get(f"/console/tickets/{desk.ticket_id}?lang=en")
    assert "ticket_acknowledged delivered via wecom" in shown.text
    assert pages.notify.asked == [("acme", desk.ticket_id)]
    pages.notify = Deliveries(None)
    down = await desk.http.get(f"/console/tickets/{desk.ticket_id}?lang=en")
    assert down.status_code == 200
    assert "Notify did not answer" in down.text


async def test_a_linked_file_is_clickable_only_when_its_url_is_http_or_https(desk: Desk) -> None:
    """Links stored before the contract refused other schemes still never become an href."""
    desk.http.cookies.set(COOKIE, desk.token)
    links = {"bp.pdf": "https://cdn.example.com/bp.pdf", "old.pdf": "javascript:alert(1)"}

    def linked(ticket: Ticket) -> None:
        ticket.attachments.extend(
            TicketAttachment(
                name=name,
                content_type="application/pdf",
                size=1,
                url=url,
                source="traveller",
                by="trav-42",
                added_at=T0,
            )
            for name, url in links.items()
        )

    await desk.intake.act("acme", desk.ticket_id, linked)
    page = await desk.http.get(f"/console/tickets/{desk.ticket_id}?lang=en")

    assert (
        '<a href="https://cdn.example.com/bp.pdf" rel="noopener noreferrer nofollow">' in page.text
    )
    assert "javascript:" not in page.text
    assert "<span>old.pdf</span>" in page.text


async def test_the_ticket_page_quotes_the_travellers_comment_and_whole_appeal(desk: Desk) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    reason = "The hotel was booked for the wrong nights. " * 6 + "I was also charged twice."
    traveller = (await desk.ticket()).traveller

    def rated_and_appealed(ticket: Ticket) -> None:
        ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0)
        ticket.record_feedback(
            events.FeedbackReceived(
                survey_id="S-1",
                ticket_id=ticket.id,
                csat=1,
                comment="Nobody called me back <b>at all</b>",
                received_at=T0 + timedelta(minutes=5),
            )
        )
        ticket.appeal(
            events.AppealFiled(
                appeal_id="A-1",
                ticket_id=ticket.id,
                traveller=traveller,
                reason=reason,
                appeal_number=1,
                level=events.AppealLevel.EXPERT,
                appealed_resolution=1,
                via="survey",
                filed_at=T0 + timedelta(minutes=6),
            ),
            now=T0 + timedelta(minutes=6),
        )

    await desk.intake.act("acme", desk.ticket_id, rated_and_appealed)
    page = await desk.http.get(f"/console/tickets/{desk.ticket_id}?lang=en")

    assert "<q>Nobody called me back &lt;b&gt;at all&lt;/b&gt;</q>" in page.text
    assert f"<q>{reason}</q>" in page.text


async def test_the_console_refuses_the_appealed_agent_deciding_the_appeal(desk: Desk) -> None:
    desk.http.cookies.set(COOKIE, desk.token)  # agent-7, whose resolution was appealed
    traveller = (await desk.ticket()).traveller

    def appealed(ticket: Ticket) -> None:
        ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0)
        filed = events.AppealFiled(
            appeal_id="A-1",
            ticket_id=ticket.id,
            traveller=traveller,
            reason="charged twice",
            appeal_number=1,
            level=events.AppealLevel.EXPERT,
            appealed_resolution=1,
            via="survey",
            filed_at=T0,
        )
        ticket.appeal(filed, now=T0)

    await desk.intake.act("acme", desk.ticket_id, appealed)
    before = await desk.ticket()
    form = {"resolution_code": "refunded", "message": "refunded"}

    answer = await desk.http.post(f"/console/tickets/{desk.ticket_id}/resolve?lang=en", data=form)

    assert answer.status_code == 403
    assert "you made the resolution it appeals" in answer.text
    assert (await desk.ticket()).version == before.version


async def test_routed_tickets_carry_urgency_and_sort_by_their_running_deadline(
    desk: Desk,
) -> None:
    later, _ = await desk.intake.receive_contact(
        "acme", contact(channel_message_id="app-msg-2", text="发票抬头错了")
    )
    for ticket_id, due_min, urgency in ((desk.ticket_id, 60, "low"), (later.id, 10, "high")):
        routed = events.TicketRouted(
            ticket_id=ticket_id,
            traveller=contact().traveller,
            queue="disruption",
            priority=events.Priority.NORMAL,
            first_response_due=T0 + timedelta(minutes=due_min),
            resolution_due=T0 + timedelta(hours=4),
            reason="test",
            routed_at=T0,
            urgency=urgency,
        )
        await desk.intake.act("acme", ticket_id, partial(Ticket.apply_routing, routed=routed))
    desk.http.cookies.set(COOKIE, desk.token)
    page = (await desk.http.get("/console/queues?lang=en")).text
    assert page.index(later.id) < page.index(desk.ticket_id), "the nearer deadline first"
    assert "Urgency: high" in page


@pytest.mark.parametrize(
    ("action", "form", "code"),
    [
        ("reply", {"message": "   "}, 422),
        ("resolve", {"message": "done"}, 422),
        ("transfer", {"reason": "wrong desk"}, 422),
        ("wait", {"on": "nobody"}, 422),
        ("resume", {}, 409),
    ],
)
async def test_a_refused_action_says_why_and_changes_nothing(
    desk: Desk, action: str, form: dict[str, str], code: int
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    before = await desk.ticket()
    answer = await desk.http.post(f"/console/tickets/{desk.ticket_id}/{action}", data=form)
    assert answer.status_code == code
    assert 'role="alert"' in answer.text
    after = await desk.ticket()
    assert (after.version, after.status, len(after.timeline)) == (
        before.version,
        before.status,
        len(before.timeline),
    )


async def test_an_empty_file_refuses_the_reply_form_but_a_blank_file_input_does_not(
    desk: Desk,
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    url = f"/console/tickets/{desk.ticket_id}/reply?lang=en"
    before = await desk.ticket()
    empty = await desk.http.post(
        url, data={"message": "see attached"}, files=[("files", ("empty.pdf", b"", "text/plain"))]
    )
    assert empty.status_code == 422
    assert "Nothing was changed: empty.pdf: empty" in empty.text
    assert (await desk.ticket()).version == before.version
    no_file_chosen = await desk.http.post(
        url, data={"message": "no file"}, files=[("files", ("", b"", "application/octet-stream"))]
    )
    assert no_file_chosen.status_code == 303
    assert (await desk.ticket()).timeline[-1].kind == "replied"


@pytest.mark.parametrize(
    ("action", "form", "shown"),
    [
        ("note", {"text": "x" * 30_000}, "text: too long (at most 20000 characters)"),
        (
            "wait",
            {"on": "godot"},
            "on: not one of the allowed values: 'traveller' or 'supplier'",
        ),
        ("resolve", {"message": "done"}, "resolution_code: missing"),
        ("transfer", {"reason": "wrong desk"}, "give a queue or an assignee"),
    ],
)
async def test_a_refused_form_says_what_is_wrong_with_each_field(
    desk: Desk, action: str, form: dict[str, str], shown: str
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    answer = await desk.http.post(f"/console/tickets/{desk.ticket_id}/{action}?lang=en", data=form)
    assert answer.status_code == 422
    assert f"Nothing was changed: {shown}" in html.unescape(answer.text)
    assert "please fill in" not in answer.text


async def test_a_blank_bulk_reply_says_the_message_is_missing(desk: Desk) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    await desk.intake.act("acme", desk.ticket_id, lambda t: setattr(t, "incident_id", "INC-1"))
    blank = await desk.http.post(
        "/console/incidents/INC-1/reply?lang=ja", data={"ticket_id": desk.ticket_id, "message": " "}
    )
    assert blank.status_code == 422
    assert "変更されていません： message: 未入力です" in blank.text


@pytest.mark.parametrize(
    ("down", "form", "code", "shown"),
    [
        (False, {"queue": "no-such-queue"}, 422, "not a queue of this tenant"),
        (False, {"assignee": "nobody-at-all"}, 422, "not a registered agent"),
        (True, {"queue": "disruption"}, 503, "routing did not answer in time"),
    ],
)
async def test_the_transfer_form_asks_routing_and_says_what_it_refused(
    desk: Desk, down: bool, form: dict[str, str], code: int, shown: str
) -> None:
    routing = Routing(down=down)
    desk.console.routing = RoutingReader("http://routing", transport=MockTransport(routing.answer))
    desk.http.cookies.set(COOKIE, desk.token)
    before = await desk.ticket()
    answer = await desk.http.post(f"/console/tickets/{desk.ticket_id}/transfer?lang=en", data=form)
    assert answer.status_code == code
    assert shown in answer.text
    assert (await desk.ticket()).version == before.version
    assert routing.seen[0].headers["authorization"] == f"Bearer {desk.token}"
    moved = await desk.http.post(
        f"/console/tickets/{desk.ticket_id}/transfer", data={"queue": "finance"}
    )
    assert moved.status_code == (503 if down else 303)


async def test_staff_of_several_tenants_pick_one_and_it_is_remembered(desk: Desk) -> None:
    both = Principal(id="mgr-1", role=Role.MANAGER, tenants=["globex", "acme"])
    desk.http.cookies.set(COOKIE, issue_token(SIGNER, both, timedelta(hours=1)))
    first = await desk.http.get("/console")
    assert (first.status_code, desk.ticket_id in first.text) == (200, False)
    assert 'id="tenant-pick"' in first.text
    picked = await desk.http.get("/console?tenant=acme")
    assert desk.ticket_id in picked.text
    assert "tripcare_tenant=acme" in picked.headers["set-cookie"]
    desk.http.cookies.set("tripcare_tenant", "acme")
    assert desk.ticket_id in (await desk.http.get("/console/queues")).text
    assert (await desk.http.get("/console?tenant=initech")).status_code == 303


@pytest.mark.parametrize("query", ["status=banana", "cursor=zzz", "queue=finance&status=routed"])
async def test_the_queues_page_refuses_a_filter_it_does_not_apply(desk: Desk, query: str) -> None:
    """The queues page lists every open queue as it is: a filter or cursor it would ignore
    is refused on a console page (422) naming it, not answered with the unfiltered lists."""
    desk.http.cookies.set(COOKIE, desk.token)

    page = await desk.http.get(f"/console?{query}&lang=en")

    assert page.status_code == 422
    assert "/console/static/console.css" in page.text
    assert desk.ticket_id not in page.text
    for name in (pair.split("=")[0] for pair in query.split("&")):
        assert f"<code>{name}</code>" in page.text
    assert "GET /v1/tickets" in page.text
    assert (await desk.http.get("/console?lang=en&tenant=acme")).status_code == 200


async def test_an_unknown_ticket_or_action_is_404(desk: Desk) -> None:
    desk.http.cookies.set(COOKIE, desk.token)
    assert (await desk.http.get("/console/tickets/TC-NOPE")).status_code == 404
    long_id = await desk.http.get("/console/tickets/TC-" + "X" * 5_000)
    assert long_id.status_code == 404
    assert "X" * 100 not in long_id.text  # the page names the id, not 5,000 characters of it
    assert (await desk.http.post(f"/console/tickets/{desk.ticket_id}/delete")).status_code == 404


async def test_a_bulk_reply_answers_the_incidents_open_tickets_or_refuses_blank(
    desk: Desk,
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)

    def link(ticket: Ticket) -> None:
        ticket.incident_id = "INC-1"

    await desk.intake.act("acme", desk.ticket_id, link)
    page = await desk.http.get(f"/console/tickets/{desk.ticket_id}")
    assert 'action="/console/incidents/INC-1/reply"' in page.text
    before = await desk.ticket()
    blank = await desk.http.post(
        "/console/incidents/INC-1/reply", data={"ticket_id": desk.ticket_id, "message": " "}
    )
    assert (blank.status_code, (await desk.ticket()).version) == (422, before.version)
    unknown = await desk.http.post(
        "/console/incidents/INC-9/reply", data={"ticket_id": desk.ticket_id, "message": "hi"}
    )
    assert unknown.status_code == 404
    sent = await desk.http.post(
        "/console/incidents/INC-1/reply", data={"ticket_id": desk.ticket_id, "message": "改签中"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"].endswith("?done=bulk_reply&replied=1&skipped=0")
    assert (await desk.ticket()).timeline[-1].kind == "replied"


CROSS_ORIGIN = [
    {"Origin": "http://intake:8004"},
    {"Origin": "https://evil.intake"},
    {"Origin": "null"},
    {"Referer": "http://intake:9999/csrf.html"},
]
"""Posts a browser sends from another origin of the same site (another port, a sibling
host) or from a sandboxed frame: the SameSite=Strict cookie goes with them."""


@pytest.mark.parametrize("headers", CROSS_ORIGIN, ids=["port", "sibling", "opaque", "referer"])
async def test_a_console_form_posted_from_another_origin_is_refused_and_changes_nothing(
    desk: Desk, headers: dict[str, str]
) -> None:
    desk.http.cookies.set(COOKIE, desk.token)

    def link(ticket: Ticket) -> None:
        ticket.incident_id = "INC-1"

    await desk.intake.act("acme", desk.ticket_id, link)
    before = await desk.ticket()
    ticket = f"/console/tickets/{desk.ticket_id}"
    note = await desk.http.post(f"{ticket}/note", data={"text": "forged"}, headers=headers)
    resolve = await desk.http.post(
        f"{ticket}/resolve",
        data={"resolution_code": "other", "message": "done"},
        headers=headers,
    )
    bulk = await desk.http.post(
        "/console/incidents/INC-1/reply",
        data={"ticket_id": desk.ticket_id, "message": "forged"},
        headers=headers,
    )
    logout = await desk.http.post("/console/logout", headers=headers)

    assert [a.status_code for a in (note, resolve, bulk, logout)] == [403] * 4
    assert COOKIE not in logout.headers.get("set-cookie", "")
    assert (await desk.ticket()).version == before.version


async def test_the_console_lets_its_own_forms_send_their_origin(desk: Desk) -> None:
    """Under ``no-referrer`` a browser posts even a page's own form as ``Origin: null``."""
    desk.http.cookies.set(COOKIE, desk.token)
    page = await desk.http.get(f"/console/tickets/{desk.ticket_id}")
    assert page.headers["referrer-policy"] == "same-origin"
    own = {"Origin": "http://intake"}
    sent = await desk.http.post(
        f"/console/tickets/{desk.ticket_id}/note", data={"text": "mine"}, headers=own
    )
    assert sent.status_code == 303
    assert (await desk.http.post("/console/logout", headers=own)).status_code == 303


# ------------------------------------------------------------------ tracking page


async def test_the_tracking_page_speaks_the_travellers_language_and_hides_notes(desk: Desk) -> None:
    await desk.intake.act(
        "acme", desk.ticket_id, lambda t: t.note(text="internal only", agent="a", now=T0)
    )
    token = desk.intake.tracking_url("acme", desk.ticket_id).rsplit("/", 1)[1]
    page = await desk.http.get(f"/track/{token}")
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    assert "internal only" not in page.text
    assert "Routed to" not in page.text
    assert (await desk.http.get("/track/forged")).status_code == 404
    refused = await desk.http.post(f"/track/{token}/not-helped")
    assert (refused.status_code, 'role="alert"' in refused.text) == (409, True)


# ------------------------------------------------------------------ live feed


async def test_ticket_events_on_the_bus_reach_the_tenants_open_consoles() -> None:
    bus = Bus(
        Settings(service="intake", namespace="unit"),
        Topology("unit"),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("intake"),
    )
    feed = LiveFeed()

    async def never_applied(tenant: str, ticket_id: str, message_id: str) -> bool:
        return False

    subscribe_feed(bus, feed, never_applied)
    stream = feed.stream("acme", await feed.listen("acme"), keepalive_s=0.05, max_s=5)
    assert await anext(stream) == "retry: 1000\n\n"
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    opened = events.TicketOpened(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=contact().traveller,
        text="hi",
        priority=events.Priority.NORMAL,
        conversation_key="k",
        opened_at=T0,
    )
    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(
            envelope(opened).model_dump_json().encode(),
            exchange=bus.events_exchange,
            routing_key="ticket.opened",
        )
    assert (
        await waiting == 'event: ticket\ndata: {"kind": "ticket.opened", "ticket_id": "TC-1"}\n\n'
    )
    assert await anext(stream) == ": keepalive\n\n"
    await stream.aclose()


async def test_a_console_hears_events_from_the_moment_its_stream_is_accepted() -> None:
    """The listener is registered and the feed bound before the response starts, so an event
    sent between the browser's ``open`` (its list reload) and the first line is kept."""
    feed = LiveFeed()
    bound: list[str] = []

    async def bind() -> None:
        bound.append("acme")

    feed.on_listen = bind
    listener = await feed.listen("acme")
    assert bound == ["acme"]
    feed.publish("acme", {"kind": "ticket.routed", "ticket_id": "TC-1"})
    stream = feed.stream("acme", listener, keepalive_s=5, max_s=5)
    assert await anext(stream) == "retry: 1000\n\n"
    assert "TC-1" in await anext(stream)
    await stream.aclose()
    assert not feed.listening("acme")


async def test_only_an_open_console_makes_an_event_intake_consumes_read_its_ticket() -> None:
    bus = Bus(
        Settings(service="intake", namespace="unit"),
        Topology("unit"),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("intake"),
    )
    checked: list[str] = []

    async def applied(tenant: str, ticket_id: str, message_id: str) -> bool:
        checked.append(ticket_id)
        return True

    @bus.subscriber(events.TicketOpened)
    async def consumed(body: dict[str, object]) -> None:
        """Intake's own work queue for the event (nothing to do here)."""

    feed = LiveFeed()
    subscribe_feed(bus, feed, applied)
    opened = events.TicketOpened(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=contact().traveller,
        text="hi",
        priority=events.Priority.NORMAL,
        conversation_key="k",
        opened_at=T0,
    )
    body = envelope(opened).model_dump_json().encode()
    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(body, exchange=bus.events_exchange, routing_key="ticket.opened")
        await asyncio.sleep(0.05)
        assert checked == []

        stream = feed.stream("acme", await feed.listen("acme"), keepalive_s=5, max_s=5)
        assert await anext(stream) == "retry: 1000\n\n"
        waiting = asyncio.ensure_future(anext(stream))
        await broker.publish(body, exchange=bus.events_exchange, routing_key="ticket.opened")
        assert "TC-1" in await waiting
        assert checked == ["TC-1"]
        await stream.aclose()


# ------------------------------------------------------------------ dashboard


def test_the_dashboard_window_defaults_to_the_apis_and_refuses_nonsense() -> None:
    start, end = window(None, None, T0)
    assert (end - start, end) == (timedelta(days=30), T0 + timedelta(seconds=1))
    start, end = window("2026-11-01", "2026-11-24", T0)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-11-01T00:00:00+00:00",
        "2026-11-25T00:00:00+00:00",
    )
    start, end = window("2026-12-01", "2026-12-01", T0, ZoneInfo("Asia/Shanghai"))
    assert (start.isoformat(), end.isoformat()) == (
        "2026-11-30T16:00:00+00:00",
        "2026-12-01T16:00:00+00:00",
    ), "a Shanghai tenant's 1 December runs from midnight in Shanghai"
    for start_at, end_at in (
        ("2026-13-01", None),
        ("2026-11-20", "2026-11-01"),
        ("2025-01-01", "2026-11-01"),
        (None, "0001-01-01"),
    ):
        with pytest.raises(BadFilter):
            window(start_at, end_at, T0)


def test_queue_depth_counts_open_tickets_and_the_oldest_wait() -> None:
    def fact(ticket_id: str, queue: str, minutes_ago: int, closed: bool = False) -> TicketFacts:
        found = TicketFacts.blank("acme", ticket_id)
        found.opened_at = T0 - timedelta(minutes=minutes_ago)
        found.queue = queue
        found.closed_at = T0 if closed else None
        return found

    facts = [fact("a", "disruption", 30), fact("b", "disruption", 5), fact("c", "expert", 9)]
    depths = queue_depths([*facts, fact("d", "expert", 99, closed=True)], T0)
    assert [(d.queue, d.open, d.oldest_waiting_s) for d in depths] == [
        ("disruption", 2, 1800),
        ("expert", 1, 540),
    ]


def test_queue_depth_leaves_out_tickets_whose_bot_answer_stands() -> None:
    def answered(
        ticket_id: str, *, reopened: bool = False, taken_over: bool = False
    ) -> TicketFacts:
        found = TicketFacts.blank("acme", ticket_id)
        found.opened_at = T0 - timedelta(hours=5)
        found.bot_answered_at = T0 - timedelta(hours=5)
        if reopened:
            found.reopens = [T0 - timedelta(hours=1)]
            found.queue, found.placed_at = "accounts", T0 - timedelta(hours=1)
        if taken_over:
            found.queue, found.assignee = "accounts", "agent-7"
            found.placed_at = T0 - timedelta(hours=2)
        return found

    facts = [
        answered("a"),
        answered("b"),
        answered("c", reopened=True),
        answered("d", taken_over=True),
    ]
    depths = queue_depths(facts, T0)
    assert [(d.queue, d.open) for d in depths] == [("accounts", 2)]


def test_tiles_show_units_the_way_people_read_them() -> None:
    assert Tile("fcr", "x", 0.5, "share").shown == "50.0%"
    assert Tile("frt", "x", 90.0, "seconds").shown == "1.5 min"
    assert Tile("csat", "x", None, "score").shown == "–"


class NoIncidents(IncidentsReader):
    def __init__(self) -> None:
        super().__init__("http://routing.invalid")

    async def open_incidents(self, token: str, tenant: str) -> list[OpenIncident] | None:
        return None


class QuietDesk(Feedback):
    """No tickets yet (the in-memory store does not do the archive lookup)."""

    async def facts_between(self, tenant_id: str, start: Any, end: Any) -> list[TicketFacts]:
        return []


@pytest.fixture
async def dashboard_http() -> AsyncIterator[httpx.AsyncClient]:
    db, clock = FakeDatabase(), FakeClock(T0)

    def repository(name: str, model: type[Any]) -> Repository[Any]:
        return Repository(db, name, model, RecordingOutbox(), clock)  # type: ignore[arg-type]

    feedback = QuietDesk(
        surveys=repository("surveys", Survey),
        facts=repository("facts", TicketFacts),
        appeals=repository("appeals", Appeal),
        pulses=repository("pulses", TravellerPulse),
        clock=clock,
        signer=SIGNER,
        public_url="http://feedback",
        settings=FeedbackSettings(),
    )
    session = StaffSession(SIGNER, clock, dev_login=False, home="/dashboard")
    app = FastAPI()
    app.state.feedback, app.state.incidents = feedback, NoIncidents()
    app.state.staff_pages = dashboard.staff_pages(session)
    app.include_router(dashboard.router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as http:
        yield http


async def test_the_dashboard_is_for_managers_and_says_which_filter_is_wrong(
    dashboard_http: httpx.AsyncClient,
) -> None:
    assert (await dashboard_http.get("/dashboard")).status_code == 303
    dashboard_http.cookies.set(COOKIE, staff_token(Role.AGENT))
    assert (await dashboard_http.get("/dashboard")).status_code == 403
    dashboard_http.cookies.set(COOKIE, staff_token(Role.MANAGER))
    assert (await dashboard_http.get("/dashboard?tenant=globex")).status_code == 403
    bad = await dashboard_http.get("/dashboard?from=2026-02-30&lang=en")
    assert (bad.status_code, "YYYY-MM-DD" in bad.text) == (422, True)
    shown = await dashboard_http.get("/dashboard?lang=ja")
    assert shown.status_code == 200
    assert 'data-metric="tickets" data-value="0"' in shown.text
    assert "ルーティングに接続できない" in shown.text


class StoryDesk(Feedback):
    """The day at the desk (``tests.feedback_story``): tickets still open with breached
    clocks (TD, TF) beside decided ones, met and missed (TB's next response)."""

    async def facts_between(self, tenant_id: str, start: Any, end: Any) -> list[TicketFacts]:
        return list(fold(a_day_at_the_desk().envelopes).values())


async def test_every_dashboard_tile_is_the_number_the_metrics_api_answers() -> None:
    db, clock = FakeDatabase(), FakeClock(STORY_NOW)

    def repository(name: str, model: type[Any]) -> Repository[Any]:
        return Repository(db, name, model, RecordingOutbox(), clock)  # type: ignore[arg-type]

    feedback = StoryDesk(
        surveys=repository("surveys", Survey),
        facts=repository("facts", TicketFacts),
        appeals=repository("appeals", Appeal),
        pulses=repository("pulses", TravellerPulse),
        clock=clock,
        signer=SIGNER,
        public_url="http://feedback",
        settings=FeedbackSettings(),
    )
    app = FastAPI()
    app.state.feedback, app.state.incidents = feedback, NoIncidents()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    app.state.staff_pages = dashboard.staff_pages(
        StaffSession(SIGNER, clock, dev_login=False, home="/dashboard")
    )
    app.include_router(dashboard.router)
    app.include_router(feedback_api.metrics.router)
    token = staff_token(Role.MANAGER)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as http:
        api = await http.get("/v1/metrics", headers={"Authorization": f"Bearer {token}"})
        http.cookies.set(COOKIE, token)
        page = await http.get("/dashboard?lang=en")

    assert (api.status_code, page.status_code) == (200, 200)
    shown = dict(re.findall(r'data-metric="([^"]+)" data-value="([^"]*)"', page.text))
    answered = api.json()
    for path, value in shown.items():
        expected = answered
        for key in path.split("."):
            expected = expected[key]
        assert value == ("" if expected is None else str(expected)), path
    assert shown["sla.breaches"] == str(answered["sla"]["breaches"]) == "4"


async def test_the_console_serves_its_own_static_files_and_nothing_else(desk: Desk) -> None:
    css = await desk.http.get("/console/static/console.css")
    assert (css.status_code, css.headers["content-type"].split(";")[0]) == (200, "text/css")
    for name in ("console.py", "..%2Fconsole.py", "messages.json"):
        assert (await desk.http.get(f"/console/static/{name}")).status_code == 404
