"""A person's reply to an open case nobody holds makes it theirs in routing too (docs/routing.md,
"A reply to a waiting case"): intake made them its assignee, so routing names them, holds their
slot (beyond capacity if need be) and push assignment no longer hands it to someone else. The
domain rule, then the handler on in-memory stores, with dispatch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from runtime.store import ConcurrencyError
from services.routing.assignment.dispatch import Dispatch
from services.routing.assignment.domain.agents import Presence
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import claim_by_reply
from services.routing.kb.articles import Article
from tests.factories import T0, envelope
from tests.unit.test_routing import route, routed_case
from tests.unit.test_routing_handlers import Desk, reply_to, seed  # noqa: F401  (fixture)

INVOICE = "I was charged twice on invoice 88213, please refund the duplicate payment"
AT = timedelta(minutes=5)


# ------------------------------------------------------------------ the domain rule


def test_a_reply_to_a_case_waiting_in_its_queue_makes_it_the_replying_agents() -> None:
    """It stayed waiting with nobody on it, so dispatch gave it to another agent within
    seconds while intake had it as the replying agent's."""
    case = routed_case()
    assert case.waiting_for_agent

    holder = claim_by_reply(case, reply_to("TC-1", "agent-7", AT, assignee="agent-7"))

    assert holder == "agent-7"
    assert (case.queue, case.assignee) == ("finance", "agent-7")
    assert not case.waiting_for_agent
    assert case.reason is not None
    assert case.reason.endswith("agent-7 holds it: agent-7 answered while it waited")
    assert case.take_events() == [], "intake placed the ticket itself: nothing to tell"


def test_a_reply_makes_the_case_the_holders_intake_named_not_its_authors() -> None:
    """Intake gave the ticket to whoever answered it first; a later reply names them."""
    case = routed_case()

    holder = claim_by_reply(case, reply_to("TC-1", "agent-8", AT, assignee="agent-7"))

    assert (holder, case.assignee) == ("agent-7", "agent-7")
    assert case.reason is not None
    assert case.reason.endswith("agent-7 holds it: agent-8 answered while it waited")


def test_a_reply_to_a_case_another_agent_holds_leaves_it_theirs() -> None:
    case = routed_case()
    case.route(route(case.priority, assignee="agent-8"), T0, T0)

    assert claim_by_reply(case, reply_to("TC-1", "agent-7", AT, assignee="agent-7")) is None
    assert case.assignee == "agent-8"


def test_a_reply_intake_gave_to_nobody_leaves_the_case_waiting() -> None:
    """A reply to a waiting ticket nobody holds leaves intake's ticket unassigned (and an
    older event does not say): routing does not make up a holder."""
    case = routed_case()

    assert claim_by_reply(case, reply_to("TC-1", "agent-7", AT)) is None
    assert case.waiting_for_agent


# ------------------------------------------------------------------ the handler, with dispatch


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    """Finance's only agent is away: an invoice waits in its queue."""
    desk = Desk(seed)
    await desk.router.start()
    await desk.agent("agent-7", capacity=1, presence=Presence.AWAY)
    return desk


async def waiting(desk: Desk) -> str:
    ticket = await desk.open(INVOICE)
    case = await desk.case(ticket)
    assert (case.queue, case.assignee) == ("finance", None)
    return ticket


async def test_an_agents_reply_to_a_waiting_case_holds_their_slot_and_dispatch_leaves_it(
    desk: Desk,
) -> None:
    """The QA repro: agent-7 answered a ticket waiting in finance; agent-8 came online with
    room and push assignment gave it to them, taking it from agent-7 in intake too."""
    ticket = await waiting(desk)
    routed = len(desk.published("ticket.routed"))

    reply = reply_to(ticket, "agent-7", AT, assignee="agent-7")
    await desk.router.ticket_replied(envelope(reply))

    case = await desk.case(ticket)
    assert (case.queue, case.assignee) == ("finance", "agent-7")
    assert await desk.held("agent-7") == [ticket], "held though away: a person decided"
    assert len(desk.published("ticket.routed")) == routed, "no second notice to anyone"
    await desk.agent("agent-8", capacity=2)
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 0
    assert (await desk.case(ticket)).assignee == "agent-7"
    assert await desk.held("agent-8") == []

    await desk.router.ticket_replied(envelope(reply_to(ticket, "agent-7", AT * 2, "agent-7")))
    assert await desk.held("agent-7") == [ticket], "a next reply holds nothing more"


async def test_a_reply_beyond_the_agents_capacity_still_makes_the_case_theirs(
    desk: Desk,
) -> None:
    first, second = await waiting(desk), await waiting(desk)

    for ticket in (first, second):
        reply = reply_to(ticket, "agent-7", AT, assignee="agent-7")
        await desk.router.ticket_replied(envelope(reply))

    assert await desk.held("agent-7") == [first, second]
    assert (await desk.case(second)).assignee == "agent-7"


async def test_a_managers_reply_makes_the_case_theirs_with_no_slot_to_hold(desk: Desk) -> None:
    """A manager is no registered agent: intake made them the assignee, and routing follows
    (as it names the support manager on a second appeal) rather than let dispatch move it."""
    ticket = await waiting(desk)
    await desk.agent("agent-8", capacity=2)

    await desk.router.ticket_replied(envelope(reply_to(ticket, "mgr-1", AT, assignee="mgr-1")))

    assert (await desk.case(ticket)).assignee == "mgr-1"
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 0
    assert await desk.held("agent-8") == []


async def test_a_reply_to_a_case_another_agent_holds_keeps_it_theirs(desk: Desk) -> None:
    ticket = await waiting(desk)
    await desk.agent("agent-8", capacity=2)
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1

    await desk.router.ticket_replied(envelope(reply_to(ticket, "agent-7", AT, "agent-8")))

    assert (await desk.case(ticket)).assignee == "agent-8"
    assert (await desk.held("agent-7"), await desk.held("agent-8")) == ([], [ticket])


async def test_a_reply_that_loses_its_race_to_dispatch_gives_its_slot_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dispatch hands the case to agent-8 while agent-7's reply is about to commit: the reply
    is retried, finds the case agent-8's (as intake will, from dispatch's ``ticket.routed``)
    and agent-7 holds no slot for it."""
    ticket = await waiting(desk)
    await desk.agent("agent-8", capacity=2)
    save, overtaken = desk.store.cases.save, False

    async def overtaken_once(case: RoutingCase, *args: Any, **kwargs: Any) -> None:
        nonlocal overtaken
        if not overtaken:
            overtaken = True
            assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1
        await save(case, *args, **kwargs)

    monkeypatch.setattr(desk.store.cases, "save", overtaken_once)
    reply = envelope(reply_to(ticket, "agent-7", AT, assignee="agent-7"))
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_replied(reply)
    await desk.router.ticket_replied(reply)  # the bus's retry

    assert (await desk.case(ticket)).assignee == "agent-8"
    assert (await desk.held("agent-7"), await desk.held("agent-8")) == ([], [ticket])
