"""The tracking page and its JSON show times as notify's notices do: in the traveller's own
time zone, else the tenant's business zone (routing's SLA calendar's, from ticket.routed),
else UTC, always with the offset, in the traveller's language (``contracts.local_time``).

A Tokyo traveller read "expect an answer by 25 Nov 2026, 11:15 (UTC+09:00)" in the notice
and "2026-11-25 02:15 UTC" on the tracking page it linked to: two clocks for one deadline.
The JSON's instants stay ISO (UTC); the text beside them is for reading.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from contracts import events
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from services.intake.api import tracking as tracking_api
from services.intake.domain import Ticket
from services.intake.domain.identity import contact_id_for
from services.intake.pages import tracking as tracking_page
from services.intake.pages.tracking_view import tracking_view
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.notify.domain.local_time import deadline_text
from tests.factories import T0, TRAVELLER, contact
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_ticket import opened_ticket, routed

TOKYO = "Asia/Tokyo"
SIGNER = Signer("tracking-zone-secret-0123456789abcdef")


def routed_in(ticket: Ticket, zone: str | None) -> events.TicketRouted:
    return events.TicketRouted.model_validate(routed(ticket).model_dump() | {"time_zone": zone})


def traveller_in(zone: str) -> events.Traveller:
    return TRAVELLER.model_copy(update={"time_zone": zone})


@pytest.mark.parametrize(
    ("language", "due", "received"),
    [
        ("ja", "2026年11月25日 11:15（UTC+09:00）", "2026年11月25日 11:00（UTC+09:00）"),
        ("zh-Hans", "2026年11月25日 11:15（UTC+09:00）", "2026年11月25日 11:00（UTC+09:00）"),
        ("zh-Hant", "2026年11月25日 11:15（UTC+09:00）", "2026年11月25日 11:00（UTC+09:00）"),
        ("en", "25 Nov 2026, 11:15 (UTC+09:00)", "25 Nov 2026, 11:00 (UTC+09:00)"),
    ],
)
def test_times_are_shown_in_the_tenants_business_zone_in_each_language(
    language: str, due: str, received: str
) -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed_in(ticket, TOKYO))

    view = tracking_view(ticket, language)
    shown = view.model_dump(mode="json")

    assert (ticket.business_time_zone, view.time_zone) == (TOKYO, TOKYO)
    assert view.expected_answer_by_text == due
    assert view.timeline[0].at_text == received
    assert shown["expected_answer_by"] == "2026-11-25T02:15:00Z"
    assert shown["timeline"][0]["at"] == "2026-11-25T02:00:00Z"


def test_the_travellers_own_zone_comes_before_the_business_zone() -> None:
    ticket = opened_ticket(traveller=traveller_in("Europe/Berlin"))
    ticket.apply_routing(routed_in(ticket, TOKYO))

    view = tracking_view(ticket, "en")

    assert view.time_zone == "Europe/Berlin"
    assert view.expected_answer_by_text == "25 Nov 2026, 03:15 (UTC+01:00)"


def test_without_any_zone_times_are_in_utc_and_say_so() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed_in(ticket, None))

    view = tracking_view(ticket, "en")

    assert (view.time_zone, view.expected_answer_by_text) == ("UTC", "25 Nov 2026, 02:15 (UTC)")
    assert tracking_view(ticket, "ja").timeline[0].at_text == "2026年11月25日 02:00（UTC）"


@pytest.mark.parametrize("own_zone", [None, "America/New_York"])
def test_the_page_reads_the_same_clock_as_the_routed_notice(own_zone: str | None) -> None:
    traveller = traveller_in(own_zone) if own_zone else TRAVELLER
    ticket = opened_ticket(traveller=traveller)
    decision = routed_in(ticket, TOKYO)
    ticket.apply_routing(decision)

    notice = deadline_text(decision.first_response_due, ticket.traveller, decision.time_zone)

    assert tracking_view(ticket, "zh-Hans").expected_answer_by_text == notice


def test_resumed_deadlines_bring_their_zone_and_the_zone_is_stored() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed_in(ticket, None))
    resumed = routed_in(ticket, TOKYO).model_copy(update={"rule": "sla-resumed"})
    ticket.apply_routing(resumed)

    kept = Ticket.model_validate(ticket.model_dump(mode="json"))
    older = ticket.model_dump(mode="json", exclude={"business_time_zone"})

    assert kept.business_time_zone == TOKYO
    assert Ticket.model_validate(older).business_time_zone is None


def test_a_follow_up_that_gives_the_travellers_zone_keeps_it_on_the_ticket() -> None:
    ticket = opened_ticket()
    ticket.take_events()
    moved = contact(channel_message_id="app-msg-2", traveller=traveller_in("Asia/Singapore"))
    ticket.follow_up(moved, contact_id_for("acme", moved.channel, "app-msg-2"), T0)
    silent = contact(channel_message_id="app-msg-3")
    ticket.follow_up(silent, contact_id_for("acme", silent.channel, "app-msg-3"), T0)

    (followed, _) = [e for e in ticket.take_events() if isinstance(e, events.TicketFollowedUp)]

    assert ticket.traveller.time_zone == "Asia/Singapore"
    assert followed.traveller.time_zone == "Asia/Singapore"
    assert tracking_view(ticket, "en").time_zone == "Asia/Singapore"


@pytest.fixture
async def app() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    clock = FakeClock(T0)
    repo = Repository(FakeDatabase(), "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, "http://intake")
    ticket, _ = await intake.receive_contact("acme", contact())
    await intake.act("acme", ticket.id, lambda t: t.apply_routing(routed_in(t, TOKYO)))
    web = FastAPI()
    web.state.intake = intake
    web.include_router(tracking_page.router)
    web.include_router(tracking_api.router)
    token = intake.tracking_url("acme", ticket.id).rsplit("/", 1)[1]
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http, token


async def test_the_page_and_its_json_show_the_business_zone(
    app: tuple[httpx.AsyncClient, str],
) -> None:
    http, token = app

    page = (await http.get(f"/track/{token}")).text
    json = (await http.get(f"/v1/track/{token}", headers={"accept": "application/json"})).json()

    assert (
        '<time datetime="2026-11-25T02:15:00+00:00">2026年11月25日 11:15（UTC+09:00）</time>'
        in page
    )
    assert "11:00（UTC+09:00）</time>" in page
    assert " UTC</time>" not in page
    assert (json["expected_answer_by"], json["time_zone"]) == ("2026-11-25T02:15:00Z", TOKYO)
    assert json["expected_answer_by_text"] == "2026年11月25日 11:15（UTC+09:00）"
    assert json["timeline"][0]["at_text"] == "2026年11月25日 11:00（UTC+09:00）"
