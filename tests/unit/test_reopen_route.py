"""A reopened ticket goes back where it was last handled: the queue a transfer put it in (not
its first category's) and the agent who had it, when they are free (docs/routing.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority
from services.routing.assignment.domain.agents import Presence
from services.routing.kb.articles import Article
from tests.factories import T0, envelope
from tests.unit.test_routing_handlers import EN, Desk, seed  # noqa: F401  (fixture)

CHANGED = "The airline changed the schedule of my flight in three weeks"
BOOKING = ["booking_failure", "change_rebook", "cancel_refund"]


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    desk = Desk(seed)
    await desk.router.start()
    await desk.policy(bot_enabled=False)
    await desk.agent("disrupt-1", categories=["flight_disruption"], capacity=5)
    await desk.agent("disrupt-2", categories=["flight_disruption"], capacity=5)
    await desk.agent("booking-1", categories=BOOKING, capacity=5)
    return desk


async def transferred_resolved_reopened(desk: Desk, *, before_reopen: str = "") -> str:
    """Triaged to disruption (normal), moved by its agent to booking-1, resolved there, reopened."""
    ticket = await desk.open(CHANGED)
    first = desk.last("ticket.routed", ticket)
    assert (first["queue"], first["assignee"]) == ("disruption", "disrupt-1")
    at = T0 + timedelta(minutes=1)
    moved = events.TicketTransferred(
        ticket_id=ticket,
        from_queue="disruption",
        to_queue="booking",
        from_assignee="disrupt-1",
        to_assignee="booking-1",
        by="disrupt-1",
        reason="they want it rebooked",
        transferred_at=at,
    )
    await desk.router.ticket_transferred(envelope(moved))
    resolved = events.TicketResolved(
        ticket_id=ticket,
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="rebooked",
        message="Rebooked on CA1503",
        resolved_by="booking-1",
        opened_at=T0,
        first_response_at=at,
        resolved_at=at + timedelta(minutes=5),
        resolution_count=1,
    )
    await desk.router.ticket_resolved(envelope(resolved))
    if before_reopen:
        agent = await desk.store.agents.get("acme", f"acme:{before_reopen}")
        assert agent is not None
        agent.presence = Presence.OFFLINE
        await desk.store.agents.save(agent)
    reopened = events.TicketReopened(
        ticket_id=ticket,
        traveller=EN,
        reason="the new flight does not suit me either",
        priority=Priority.HIGH,
        reopened_at=at + timedelta(hours=2),
    )
    await desk.router.ticket_reopened(envelope(reopened))
    return ticket


async def test_a_reopened_ticket_goes_back_to_its_last_queue_and_agent(desk: Desk) -> None:
    ticket = await transferred_resolved_reopened(desk)

    routed = desk.last("ticket.routed", ticket)
    assert (routed["queue"], routed["assignee"], routed["rule"]) == (
        "booking",
        "booking-1",
        "reopened",
    )
    assert "booking-1: back to the agent who had it" in routed["reason"]
    assert await desk.held("booking-1") == [ticket]
    assert await desk.held("disrupt-1") == await desk.held("disrupt-2") == []


async def test_with_its_last_agent_away_it_goes_to_another_agent_of_that_queue(
    desk: Desk,
) -> None:
    await desk.agent("booking-2", categories=BOOKING, capacity=5)
    ticket = await transferred_resolved_reopened(desk, before_reopen="booking-1")

    routed = desk.last("ticket.routed", ticket)
    assert (routed["queue"], routed["assignee"]) == ("booking", "booking-2")
    assert "last agent booking-1 offline" in routed["reason"]
    assert routed["category"] in BOOKING, "the transfer said which family it is"


async def test_a_reopened_bot_answer_still_goes_by_its_category(desk: Desk) -> None:
    await desk.policy(tenant="acme-bot")  # the bot on
    ticket = await desk.open("How do I reset my password?", tenant="acme-bot")
    reopened = events.TicketReopened(
        ticket_id=ticket,
        traveller=EN,
        reason="that did not help",
        priority=Priority.HIGH,
        reopened_at=T0 + timedelta(minutes=3),
    )
    await desk.router.ticket_reopened(envelope(reopened, tenant="acme-bot"))

    routed = desk.last("ticket.routed", ticket)
    assert (routed["queue"], routed["rule"]) == ("accounts", "category")
