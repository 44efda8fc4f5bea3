"""An agent's transfer of a bot-answered ticket is a person taking it over (docs/routing.md,
"Transfers"): the case opens in the transfer's queue, with its agent, never the bot's again,
with a resolution clock from the move, and ``ticket.routed`` (rule ``taken-over``) tells
intake, notify and feedback. The handler level, on in-memory stores."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from contracts import events
from contracts.events import SlaClock
from runtime.store import ConcurrencyError
from services.routing.domain.case import RoutingCase
from services.routing.domain.status import TAKEN_OVER, CaseStatus
from services.routing.kb.articles import Article
from tests.factories import T0, envelope
from tests.unit.test_routing_handlers import Desk, reply_to, seed  # noqa: F401  (fixture)

PASSWORD = "How do I reset my password?"
FINANCE = ("invoice", "reimbursement", "billing")
AT = T0 + timedelta(minutes=5)


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    desk = Desk(seed)
    await desk.router.start()
    await desk.agent("finance-en", capacity=1)
    await desk.agent("finance-2", capacity=1)
    await desk.agent("agent-7", categories=["account_access"])
    return desk


def transfer(
    ticket: str,
    to_queue: str | None,
    to_assignee: str | None,
    at: datetime = AT,
    from_assignee: str | None = None,
) -> events.TicketTransferred:
    return events.TicketTransferred(
        ticket_id=ticket,
        from_queue=None,
        to_queue=to_queue,
        from_assignee=from_assignee,
        to_assignee=to_assignee,
        by="agent-7",
        transferred_at=at,
    )


async def bot_answered(desk: Desk) -> str:
    ticket = await desk.open(PASSWORD)
    assert (await desk.case(ticket)).status is CaseStatus.BOT_ANSWERED
    return ticket


async def test_a_bot_answered_case_transferred_to_an_agent_is_theirs_in_that_queue(
    desk: Desk,
) -> None:
    """It stayed bot-answered with no clock running until someone replied, and a reply would
    have put it in the password family's queue, not finance where the agent moved it."""
    ticket = await bot_answered(desk)

    await desk.router.ticket_transferred(envelope(transfer(ticket, "finance", "finance-en")))

    case = await desk.case(ticket)
    assert (case.status, case.queue, case.assignee) == (CaseStatus.OPEN, "finance", "finance-en")
    assert case.human_only == TAKEN_OVER
    assert case.triage is not None
    assert case.triage.category in FINANCE
    resolution = case.sla.running(SlaClock.RESOLUTION)
    assert resolution is not None
    assert resolution.started_at == AT
    assert case.sla.running(SlaClock.FIRST_RESPONSE) is None, "the bot answered first"
    assert await desk.held("finance-en") == [ticket]
    routed = desk.last("ticket.routed", ticket)
    assert (routed["rule"], routed["queue"], routed["assignee"], routed["category"]) == (
        "taken-over",
        "finance",
        "finance-en",
        case.triage.category,
    )
    assert datetime.fromisoformat(routed["routed_at"]) == AT
    assert datetime.fromisoformat(routed["resolution_due"]) == resolution.deadline
    assert routed["reason"].startswith("transferred to finance-en by agent-7: taken over")
    assert routed["bot_decision"] == TAKEN_OVER

    await desk.router.ticket_replied(envelope(reply_to(ticket, "finance-en", timedelta(hours=1))))
    assert len(desk.published("ticket.routed")) == 1, "the reply is only a response"
    assert (await desk.case(ticket)).assignee == "finance-en"


async def test_a_bot_answered_case_transferred_to_a_queue_waits_there_for_dispatch(
    desk: Desk,
) -> None:
    """Intake moves a bot-answered ticket to an agent only, but the event allows a queue
    alone: the case is then a person's still, waiting in that queue for push assignment."""
    ticket = await bot_answered(desk)
    woken: list[str] = []
    desk.router.wake_dispatch = woken.append

    await desk.router.ticket_transferred(envelope(transfer(ticket, "finance", None)))

    case = await desk.case(ticket)
    assert case.waiting_for_agent
    assert case.queue == "finance"
    assert case.sla.running(SlaClock.RESOLUTION) is not None
    assert woken == ["acme"], "an agent with room in finance takes it now"
    routed = desk.last("ticket.routed", ticket)
    assert (routed["rule"], routed["queue"], routed["assignee"]) == ("taken-over", "finance", None)
    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([], [])


async def test_a_bot_answered_case_transferred_to_an_agent_alone_opens_in_its_family_queue(
    desk: Desk,
) -> None:
    """Intake had no queue for a bot-answered ticket: the transfer named only the agent."""
    ticket = await bot_answered(desk)

    await desk.router.ticket_transferred(envelope(transfer(ticket, None, "agent-7")))

    case = await desk.case(ticket)
    assert (case.status, case.queue, case.assignee) == (CaseStatus.OPEN, "accounts", "agent-7")
    assert await desk.held("agent-7") == [ticket]
    assert desk.last("ticket.routed", ticket)["queue"] == "accounts"


async def test_a_taken_over_case_transferred_again_moves_the_slot_and_keeps_its_clocks(
    desk: Desk,
) -> None:
    ticket = await bot_answered(desk)
    await desk.router.ticket_transferred(envelope(transfer(ticket, "finance", "finance-en")))
    due = (await desk.case(ticket)).sla.due(SlaClock.RESOLUTION)

    later = AT + timedelta(minutes=10)
    again = transfer(ticket, "finance", "finance-2", later, from_assignee="finance-en")
    await desk.router.ticket_transferred(envelope(again))

    case = await desk.case(ticket)
    assert (case.status, case.assignee, case.clock_started_at) == (CaseStatus.OPEN, "finance-2", AT)
    assert case.sla.due(SlaClock.RESOLUTION) == due
    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([], [ticket])
    assert len(desk.published("ticket.routed")) == 1, "within the family: nothing to tell"


async def test_a_reply_that_loses_its_race_to_a_transfer_of_the_bot_answered_case_holds_no_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """agent-7's reply took the case over in memory and held their slot, but the transfer to
    finance-en committed first: the reply's retry finds the case a person's already."""
    ticket = await bot_answered(desk)
    save = desk.store.cases.save
    overtaken = False

    async def overtaken_once(case: RoutingCase, *args: Any, **kwargs: Any) -> None:
        nonlocal overtaken
        if not overtaken:  # the transfer commits while the reply is about to
            overtaken = True
            moved = envelope(transfer(ticket, "finance", "finance-en"))
            await desk.router.ticket_transferred(moved)
        await save(case, *args, **kwargs)

    monkeypatch.setattr(desk.store.cases, "save", overtaken_once)
    reply = envelope(reply_to(ticket, "agent-7", timedelta(minutes=6)))
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_replied(reply)
    await desk.router.ticket_replied(reply)  # the bus's retry

    case = await desk.case(ticket)
    assert (case.queue, case.assignee) == ("finance", "finance-en")
    assert (await desk.held("finance-en"), await desk.held("agent-7")) == ([ticket], [])
