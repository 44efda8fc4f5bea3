"""A disruption that joins a ticket the bot answered hands it to a person (docs/suppliers.md,
"The traveller's own ticket"): the traveller asked the bot something, the flight their ticket
names was then cancelled, and intake joined the disruption to that ticket. The case used to
stay with the bot, waiting for the traveller to confirm the answer, while they were
stranded. Now a high or critical disruption routes it as any case at that priority, never
the bot's again, with a first response owed on the disruption."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority, SlaClock
from services.routing.domain.case import RoutingCase
from services.routing.domain.raises import bot_handover
from services.routing.domain.status import DISRUPTION_JOINED, CaseStatus
from services.routing.kb.articles import Article
from services.routing.sla.domain import DEFAULT_SLA
from tests.factories import T0, envelope
from tests.unit.test_revision_priority import notice
from tests.unit.test_routing import opened, route, triage
from tests.unit.test_routing_handlers import Desk, seed  # noqa: F401  (fixture)

PASSWORD = "How do I reset my password?"
LATER = T0 + timedelta(minutes=20)
CRITICAL = DEFAULT_SLA.terms(Priority.CRITICAL).targets


def bot_case() -> RoutingCase:
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(Priority.NORMAL), triage())
    case.status = CaseStatus.BOT_ANSWERED
    case.first_response_at = T0
    return case


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    desk = Desk(seed)
    await desk.router.start()
    await desk.agent("agent-7", categories=["account_access"], capacity=1)
    return desk


async def bot_answered(desk: Desk) -> str:
    ticket = await desk.open(PASSWORD)
    assert (await desk.case(ticket)).status is CaseStatus.BOT_ANSWERED
    desk.clock.advance(LATER - T0)
    return ticket


def joined(ticket: str, priority: Priority | None, **fields: object) -> events.DisruptionNotice:
    told = notice(priority, revision=1, at=LATER, **fields)  # type: ignore[arg-type]
    return told.model_copy(update={"ticket_id": ticket})


def test_a_high_or_critical_disruption_takes_a_bot_answered_case_from_the_bot() -> None:
    assert bot_handover(bot_case(), notice(Priority.CRITICAL)) is Priority.CRITICAL
    assert bot_handover(bot_case(), notice(Priority.HIGH)) is Priority.HIGH


def test_nothing_leaves_the_bot_for_a_flight_back_on_schedule_or_a_low_notice() -> None:
    assert bot_handover(bot_case(), notice(Priority.CRITICAL, on_schedule=True)) is None
    assert bot_handover(bot_case(), notice(Priority.NORMAL)) is None
    assert bot_handover(bot_case(), notice(None)) is None


def test_an_open_case_is_raised_in_place_not_handed_over() -> None:
    case = bot_case()
    case.route(route(Priority.NORMAL, queue="general", assignee="agent-7"), T0, T0)
    assert bot_handover(case, notice(Priority.CRITICAL)) is None


def test_the_handover_opens_the_case_on_its_route_with_a_first_response_owed() -> None:
    case = bot_case()
    takeover = route(Priority.CRITICAL, queue="expert", assignee=None)

    assert case.revise_itinerary(notice(Priority.CRITICAL, at=LATER), LATER, takeover)

    (routed,) = case.take_events()
    assert isinstance(routed, events.TicketRouted)
    assert (case.status, case.queue, case.assignee) == (CaseStatus.OPEN, "expert", None)
    assert (routed.priority, routed.previous_priority) == (Priority.CRITICAL, None)
    assert case.human_only == DISRUPTION_JOINED, "the bot never answers it again"
    assert routed.reason is not None
    assert routed.reason.startswith("priority raised to critical: flight_cancelled (revision 2); ")
    assert routed.first_response_due == LATER + timedelta(seconds=CRITICAL.first_response_s)
    assert routed.resolution_due == LATER + timedelta(seconds=CRITICAL.resolution_s)


async def test_a_critical_disruption_joined_to_a_bot_answered_ticket_goes_to_the_expert_desk(
    desk: Desk,
) -> None:
    ticket = await bot_answered(desk)

    await desk.router.disruption_noticed(envelope(joined(ticket, Priority.CRITICAL)))

    case = await desk.case(ticket)
    assert (case.status, case.priority, case.queue) == (
        CaseStatus.OPEN,
        Priority.CRITICAL,
        "expert",
    )
    assert case.human_only == DISRUPTION_JOINED
    first = case.sla.running(SlaClock.FIRST_RESPONSE)
    assert first is not None
    assert first.started_at == LATER
    routed = desk.last("ticket.routed", ticket)
    assert routed["rule"] == "critical"
    assert "flight_cancelled (revision 1)" in routed["reason"]
    assert "bot: " + DISRUPTION_JOINED in routed["reason"]


async def test_a_high_one_goes_to_the_family_queue_and_an_agent_with_room(desk: Desk) -> None:
    ticket = await bot_answered(desk)

    await desk.router.disruption_noticed(envelope(joined(ticket, Priority.HIGH)))

    case = await desk.case(ticket)
    assert (case.status, case.priority, case.assignee) == (
        CaseStatus.OPEN,
        Priority.HIGH,
        "agent-7",
    )
    assert await desk.held("agent-7") == [ticket]
    assert desk.last("ticket.routed", ticket)["assignee"] == "agent-7"


async def test_a_redelivered_notice_hands_it_over_once(desk: Desk) -> None:
    ticket = await bot_answered(desk)
    told = envelope(joined(ticket, Priority.HIGH))

    await desk.router.disruption_noticed(told)
    await desk.router.disruption_noticed(told)

    assert len([p for p in desk.published("ticket.routed") if p["ticket_id"] == ticket]) == 1
    assert await desk.held("agent-7") == [ticket]
