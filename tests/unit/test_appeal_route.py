"""An appeal goes to the expert desk, never to the expert whose resolution it appeals: intake
refuses them the decision (docs/feedback.md#who-decides-an-appeal), so a ticket handed to them
would sit with someone who may not resolve it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import AppealLevel, Priority
from services.routing.assignment.dispatch import Dispatch
from services.routing.kb.articles import Article
from tests.factories import T0, envelope
from tests.unit.test_routing_handlers import EN, Desk, seed  # noqa: F401  (fixture)

COMPLAINT = "I want to complain: your agent was rude and nobody called me back for two days"


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    desk = Desk(seed)
    await desk.router.start()
    await desk.policy(bot_enabled=False)
    return desk


async def resolved_then_appealed(desk: Desk, resolver: str) -> str:
    ticket = await desk.open(COMPLAINT)
    at = T0 + timedelta(minutes=5)
    resolved = events.TicketResolved(
        ticket_id=ticket,
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="apologised",
        message="We are sorry.",
        resolved_by=resolver,
        opened_at=T0,
        first_response_at=at,
        resolved_at=at,
        resolution_count=1,
    )
    await desk.router.ticket_resolved(envelope(resolved))
    appealed = events.TicketReopened(
        ticket_id=ticket,
        traveller=EN,
        reason="appeal: nothing was solved",
        priority=Priority.CRITICAL,
        reopened_at=at + timedelta(minutes=10),
        appeal_id=f"A-{ticket}-1",
        appeal_number=1,
        appeal_level=AppealLevel.EXPERT,
    )
    await desk.router.ticket_reopened(envelope(appealed))
    return ticket


async def test_the_appeal_goes_to_another_expert_than_the_resolver(desk: Desk) -> None:
    await desk.agent("exp-1", expert=True, capacity=5, categories=["service_complaint"])
    await desk.agent("exp-2", expert=True, capacity=2, categories=["service_complaint"])
    ticket = await resolved_then_appealed(desk, "exp-1")

    routed = desk.last("ticket.routed", ticket)
    assert (routed["queue"], routed["rule"], routed["assignee"]) == ("expert", "appeal", "exp-2")
    assert "exp-1 made the appealed resolution" in routed["reason"]


async def test_with_the_resolver_the_only_expert_the_appeal_waits_for_another(
    desk: Desk,
) -> None:
    await desk.agent("exp-1", expert=True, capacity=5, categories=["service_complaint"])
    ticket = await resolved_then_appealed(desk, "exp-1")

    routed = desk.last("ticket.routed", ticket)
    assert (routed["queue"], routed["assignee"]) == ("expert", None)
    assert await desk.held("exp-1") == []


async def test_push_assignment_never_hands_the_appeal_to_the_resolver(desk: Desk) -> None:
    await desk.agent("exp-1", expert=True, capacity=5, categories=["service_complaint"])
    ticket = await resolved_then_appealed(desk, "exp-1")

    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 0
    assert await desk.held("exp-1") == []
    await desk.agent("exp-2", expert=True, capacity=2, categories=["service_complaint"])
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1
    assert await desk.held("exp-2") == [ticket]
