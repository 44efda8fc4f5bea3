"""The orphan-slot sweep (``assignment/reconcile.py``, docs/routing.md "Agents") on routing's
in-memory stores: a slot no case gives its agent is given back once past the grace, a
bounded page per sweep, and push assignment then uses the room."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest

from contracts import events
from contracts.events import Priority
from services.routing.assignment.dispatch import Dispatch, Dispatcher, DispatchSettings
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.reconcile import SlotReconciler
from services.routing.domain.status import CaseStatus
from tests.factories import envelope
from tests.unit.test_dispatch import one_agent_desk
from tests.unit.test_sla_case import EN, SlaDesk

GRACE = timedelta(minutes=2)
AGENT_1 = Agent.key("acme", "agent-1")


def reconciler(desk: SlaDesk, checks: int = 200) -> SlotReconciler:
    return SlotReconciler(desk.store, desk.clock, grace_s=GRACE.total_seconds(), checks=checks)


async def leak_by_lost_write(desk: SlaDesk, ticket_id: str) -> None:
    """The case was resolved by a write that never gave its agent the slot back (older code,
    or a process killed between the two writes)."""
    case = await desk.case(ticket_id)
    case.status, case.assignee = CaseStatus.RESOLVED, None
    await desk.store.cases.save(case)


async def test_a_slot_whose_case_is_resolved_is_given_back_after_the_grace_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = await one_agent_desk(capacity=1)
    await desk.open("TC-1")
    await leak_by_lost_write(desk, "TC-1")
    await desk.open("TC-2")
    assert (await desk.case("TC-2")).waiting_for_agent, "agent-1 looks full"
    sweep = reconciler(desk)

    assert await sweep.sweep() == 0, "within the grace: its case commit may be on its way"
    desk.clock.advance(GRACE + timedelta(seconds=1))
    with caplog.at_level(logging.INFO, logger="services.routing.assignment.reconcile"):
        assert await sweep.sweep() == 1

    assert await desk.holder("TC-1") == []
    assert [r.getMessage() for r in caplog.records] == [
        "slot of TC-1 given back by agent-1 of acme: its case is resolved (held over 120 s)"
    ]
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1
    assert await desk.holder("TC-2") == ["agent-1"]


async def test_a_slot_taken_by_a_process_that_died_before_its_case_write_is_given_back() -> None:
    desk = await one_agent_desk(capacity=2)
    await desk.open("TC-1")
    await desk.router.slots.hold("acme", "agent-1", "TC-DIED")  # kill -9 here
    desk.clock.advance(GRACE + timedelta(seconds=1))

    assert await reconciler(desk).sweep() == 1

    agent = await desk.store.agents.get("acme", AGENT_1)
    assert agent is not None
    assert agent.tickets == ["TC-1"], "the open case naming them keeps its slot"


async def test_a_slot_claimed_again_while_the_sweep_decided_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reopen to the same agent claims the slot again before its case commit: the release
    decides again on the agent's latest document."""
    desk = await one_agent_desk(capacity=1)
    await desk.open("TC-1")
    await leak_by_lost_write(desk, "TC-1")
    desk.clock.advance(GRACE + timedelta(seconds=1))
    change = desk.store.agents.change

    async def claimed_meanwhile(*args: Any, **kwargs: Any) -> Agent:
        await change("acme", AGENT_1, lambda a: a.take("TC-1", desk.clock.now()))
        return await change(*args, **kwargs)

    monkeypatch.setattr(desk.store.agents, "change", claimed_meanwhile)

    assert await reconciler(desk).sweep() == 0
    assert await desk.holder("TC-1") == ["agent-1"]


async def test_each_sweep_checks_a_bounded_page_and_the_next_goes_on_from_there() -> None:
    desk = await one_agent_desk(capacity=1)
    for agent_id in ("agent-1", "expert-1", "senior-1"):
        await desk.router.slots.hold("acme", agent_id, f"TC-{agent_id}")
    desk.clock.advance(GRACE + timedelta(seconds=1))
    sweep = reconciler(desk, checks=2)

    assert [await sweep.sweep() for _ in range(2)] == [2, 1]
    assert all(a.tickets == [] for a in await desk.store.agents_of("acme"))

    await desk.router.slots.hold("acme", "agent-1", "TC-LATER")
    desk.clock.advance(GRACE + timedelta(seconds=1))
    assert await sweep.sweep() == 1, "after the last agent it starts again from the first"


async def test_the_dispatchers_sweep_gives_back_orphans_then_pushes_waiting_tickets() -> None:
    desk = await one_agent_desk(capacity=1)
    await desk.open("TC-1")
    await leak_by_lost_write(desk, "TC-1")
    await desk.open("TC-2")
    desk.clock.advance(GRACE + timedelta(seconds=1))
    settings = DispatchSettings(sweep_s=0.01, gather_s=0)
    dispatcher = Dispatcher(Dispatch(desk.store, desk.clock), settings, reconciler(desk))

    dispatcher.start()
    for _ in range(200):
        await asyncio.sleep(0.01)
        if (await desk.case("TC-2")).assignee is not None:
            break
    await dispatcher.stop()

    assert await desk.holder("TC-1") == []
    assert await desk.holder("TC-2") == ["agent-1"]


async def test_a_reservation_of_a_slot_held_already_claims_it_again_before_its_case() -> None:
    """The reopen goes back to agent-1, who still holds a slot a lost write left behind: the
    claim is renewed before the case commit, so the sweep cannot take it in between."""
    desk = await one_agent_desk(capacity=1)
    await desk.open("TC-1")
    await leak_by_lost_write(desk, "TC-1")
    desk.clock.advance(GRACE + timedelta(seconds=1))
    reopened = events.TicketReopened(
        ticket_id="TC-1",
        traveller=EN,
        reason="not fixed",
        priority=Priority.HIGH,
        reopened_at=desk.clock.now(),
    )

    await desk.router.ticket_reopened(envelope(reopened))

    agent = await desk.store.agents.get("acme", AGENT_1)
    assert agent is not None
    assert (await desk.case("TC-1")).assignee == "agent-1"
    assert agent.claimed_at("TC-1") == desk.clock.now()
