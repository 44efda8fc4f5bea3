"""Push assignment (issue #18, item 2): which waiting ticket goes to which free agent, and the
use case handing them out on in-memory stores — including two replicas racing for one agent."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest

from contracts import events
from contracts.events import Priority
from runtime.clock import FakeClock
from services.routing.assignment.dispatch import (
    Dispatch,
    Dispatcher,
    DispatchSettings,
    waiting_of,
)
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.assignment.domain.dispatch_rules import Waiting, next_handout
from services.routing.assignment.domain.policy import AssignmentMode
from services.routing.assignment.domain.queues import DEFAULT_QUEUES, catalogue
from services.routing.domain.case import RoutingCase
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase
from tests.slots import assert_slots_match
from tests.unit.test_sla_case import EN, SlaDesk

QUEUES = catalogue(DEFAULT_QUEUES)


def agent(agent_id: str, load: int = 0, capacity: int = 2, **extra: object) -> Agent:
    return Agent(
        id=Agent.key("acme", agent_id),
        tenant_id="acme",
        agent_id=agent_id,
        categories=["invoice", "flight_disruption"],
        languages=["en", "zh-Hans"],
        capacity=capacity,
        presence=Presence.ONLINE,
        tickets=[f"held-{agent_id}-{n}" for n in range(load)],
        **extra,  # type: ignore[arg-type]
    )


def waiting(
    ticket_id: str,
    priority: Priority = Priority.NORMAL,
    due_min: int = 30,
    queue: str = "finance",
    category: str = "invoice",
    language: str = "en",
) -> Waiting:
    return Waiting(
        ticket_id=ticket_id,
        queue=queue,
        priority=priority,
        due=T0 + timedelta(minutes=due_min),
        opened_at=T0,
        category=category,
        language=language,
    )


def test_the_most_urgent_goes_first_priority_then_sla_deadline() -> None:
    queue = [
        waiting("late-normal", Priority.NORMAL, due_min=5),
        waiting("high-later", Priority.HIGH, due_min=50),
        waiting("high-sooner", Priority.HIGH, due_min=20),
    ]
    handout = next_handout(queue, [agent("a-1")], QUEUES, AssignmentMode.LEAST_LOADED)
    assert handout is not None
    assert (handout.waiting.ticket_id, handout.agent.agent_id) == ("high-sooner", "a-1")
    assert "most urgent waiting (high)" in handout.note


def test_a_waiting_proactive_case_needs_an_agent_reading_its_travellers_language() -> None:
    """Its text is TripCare's English summary: the traveller's stated language is the one."""
    doc = {
        "_id": "TC-9",
        "queue": "disruption",
        "priority": "high",
        "triage": {"language": "en", "category": "flight_disruption"},
        "traveller": {"id": "trav-9", "language": "zh-Hant"},
    }
    assert waiting_of({**doc, "proactive": True}).language == "zh-Hant"
    assert waiting_of(doc).language == "en", "the traveller's own text: as written"


def test_a_case_no_free_agent_may_take_is_passed_for_the_next() -> None:
    queue = [
        waiting("complaint", Priority.CRITICAL, queue="complaints", category="service_complaint"),
        waiting("japanese", Priority.HIGH, language="ja"),
        waiting("invoice", Priority.NORMAL),
    ]
    handout = next_handout(queue, [agent("a-1")], QUEUES, AssignmentMode.LEAST_LOADED)
    assert handout is not None
    assert handout.waiting.ticket_id == "invoice", "not an expert, reads no Japanese"


def test_a_case_left_in_a_deleted_queue_needs_its_categorys_skill() -> None:
    """A tenant deleted its own ``invoices`` desk while a ticket waited there: the case still
    names it, and it used to be read as the general desk (no skill asked), so push assignment
    handed an invoice to an agent with no invoice skill. Its category's queue decides now."""
    case = waiting("orphan", queue="invoices", category="invoice")
    unskilled = agent("a-1").model_copy(update={"categories": ["flight_disruption"]})
    assert next_handout([case], [unskilled], QUEUES, AssignmentMode.LEAST_LOADED) is None
    handout = next_handout([case], [unskilled, agent("a-2")], QUEUES, AssignmentMode.LEAST_LOADED)
    assert handout is not None
    assert handout.agent.agent_id == "a-2"
    complaint = waiting("gone", queue="vip-desk", category="service_complaint")
    assert next_handout([complaint], [agent("a-3")], QUEUES, AssignmentMode.LEAST_LOADED) is None


def test_nobody_free_or_nothing_they_may_take_hands_out_nothing() -> None:
    full = agent("a-1", load=2)
    away = agent("a-2").model_copy(update={"presence": Presence.AWAY})
    assert next_handout([waiting("t")], [full, away], QUEUES, AssignmentMode.LEAST_LOADED) is None
    japanese = [waiting("t", language="ja")]
    assert next_handout(japanese, [agent("a-3")], QUEUES, AssignmentMode.LEAST_LOADED) is None


def test_least_loaded_or_round_robin_is_the_tenants_choice() -> None:
    busy_but_waiting_longest = agent("a-1", load=1, capacity=2, last_assigned_at=T0)
    idle_but_just_assigned = agent("a-2", load=0, capacity=2, last_assigned_at=T0 + timedelta(1))
    free = [busy_but_waiting_longest, idle_but_just_assigned]

    least = next_handout([waiting("t")], free, QUEUES, AssignmentMode.LEAST_LOADED)
    turn = next_handout([waiting("t")], free, QUEUES, AssignmentMode.ROUND_ROBIN)

    assert least is not None
    assert least.agent.agent_id == "a-2"
    assert turn is not None
    assert turn.agent.agent_id == "a-1"
    assert "next in turn of 2 free" in turn.note


# --- the use case on in-memory stores --------------------------------------------------


async def one_agent_desk(capacity: int = 1, db: FakeDatabase | None = None) -> SlaDesk:
    desk = SlaDesk(db)
    await desk.setup()
    for other in ("senior-1", "expert-1"):
        await desk.store.agents.change(
            "acme", Agent.key("acme", other), lambda a: setattr(a, "presence", Presence.OFFLINE)
        )
    await desk.store.agents.change(
        "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "capacity", capacity)
    )
    return desk


def resolved(ticket_id: str, desk: SlaDesk) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="done",
        message="done",
        resolved_by="agent-1",
        opened_at=T0,
        first_response_at=desk.clock.now(),
        resolved_at=desk.clock.now(),
        resolution_count=1,
    )


async def test_a_resolve_frees_a_slot_and_the_waiting_ticket_is_pushed_at_once() -> None:
    desk = await one_agent_desk()
    woken: list[str] = []
    desk.router.wake_dispatch = woken.append
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=5))
    await desk.open("TC-2")
    assert (await desk.case("TC-2")).waiting_for_agent
    assert await desk.holder("TC-1") == ["agent-1"]

    await desk.router.ticket_resolved(envelope(resolved("TC-1", desk)))
    assert woken[-1] == "acme", "the freed slot wakes the dispatcher"
    handed = await Dispatch(desk.store, desk.clock).tenant("acme")

    assert handed == 1
    assert await desk.holder("TC-2") == ["agent-1"]
    pushed = desk.published("ticket.routed")[-1]
    assert (pushed["ticket_id"], pushed["assignee"], pushed["rule"]) == (
        "TC-2",
        "agent-1",
        "dispatched",
    )
    assert pushed["queue"] == "finance"
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 0, "nothing left to hand"


async def test_an_agent_coming_online_gets_the_waiting_tickets_up_to_capacity() -> None:
    desk = await one_agent_desk(capacity=2)
    await desk.store.agents.change(
        "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "presence", Presence.OFFLINE)
    )
    for n in range(3):
        await desk.open(f"TC-{n}")
    await desk.store.agents.change(
        "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "presence", Presence.ONLINE)
    )

    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 2
    (agent_1,) = [a for a in await desk.store.agents_of("acme") if a.agent_id == "agent-1"]
    assert sorted(agent_1.tickets) == ["TC-0", "TC-1"], "the oldest of equal urgency first"


async def test_two_replicas_racing_for_one_free_slot_hand_out_one_ticket() -> None:
    for seed in range(5):
        db = FakeDatabase(chaos=random.Random(seed))
        desk = await one_agent_desk(db=db)
        await desk.store.agents.change(
            "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "presence", Presence.AWAY)
        )
        for n in range(4):
            await desk.open(f"TC-{n}")
        await desk.store.agents.change(
            "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "presence", Presence.ONLINE)
        )
        twin = desk.twin()

        counts = await asyncio.gather(
            Dispatch(desk.store, desk.clock).tenant("acme"),
            Dispatch(twin.store, FakeClock(T0)).tenant("acme"),
        )

        assert sum(counts) == 1, seed
        cases = [await desk.case(f"TC-{n}") for n in range(4)]
        assert [c.assignee for c in cases].count("agent-1") == 1
        assert await desk.holder("TC-0") == ["agent-1"]


async def waiting_for_agent_1() -> SlaDesk:
    """TC-1 waits in finance while agent-1 is away; then agent-1 comes online with room."""
    desk = await one_agent_desk()
    await desk.store.agents.change(
        "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "presence", Presence.AWAY)
    )
    await desk.open("TC-1")
    await desk.store.agents.change(
        "acme", Agent.key("acme", "agent-1"), lambda a: setattr(a, "presence", Presence.ONLINE)
    )
    return desk


async def test_a_handout_whose_case_commit_fails_gives_the_slot_back_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not a lost race: the store is unreachable when the case is handed. agent-1 holds
    nothing for a case still waiting, so the next look can hand it again."""
    desk = await waiting_for_agent_1()

    async def unreachable(*_: Any, **__: Any) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(desk.store.cases, "save", unreachable)
    with pytest.raises(ConnectionError):
        await Dispatch(desk.store, desk.clock).tenant("acme")

    assert (await desk.case("TC-1")).waiting_for_agent
    assert await desk.holder("TC-1") == []
    await assert_slots_match(desk.store)
    monkeypatch.undo()
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1
    assert await desk.holder("TC-1") == ["agent-1"]
    await assert_slots_match(desk.store)


async def test_a_handout_that_raises_before_its_commit_gives_the_slot_back_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Any exception between the slot's write and the case's, not only a store's."""
    desk = await waiting_for_agent_1()

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(RoutingCase, "hand_to", broken)
    with pytest.raises(RuntimeError):
        await Dispatch(desk.store, desk.clock).tenant("acme")

    assert await desk.holder("TC-1") == []
    await assert_slots_match(desk.store)


class CountingDispatch(Dispatch):
    def __init__(self) -> None:
        self.looks: list[str] = []

    async def tenant(self, tenant_id: str) -> int:
        self.looks.append(tenant_id)
        return 0

    async def tenants_with_room(self) -> set[str]:
        return set()


async def test_wake_ups_of_a_busy_moment_share_one_look_at_the_tenant() -> None:
    dispatch = CountingDispatch()
    dispatcher = Dispatcher(dispatch, DispatchSettings(sweep_s=60, gather_s=0.05))
    dispatcher.start()
    try:
        for _ in range(5):  # five cases routed to queues within a few milliseconds
            dispatcher.wake("acme")
            await asyncio.sleep(0.005)
        dispatcher.wake("globex")
        await asyncio.sleep(0.1)
        assert sorted(dispatch.looks) == ["acme", "globex"]

        dispatcher.wake("acme")  # a later one is looked at again
        await asyncio.sleep(0.1)
        assert dispatch.looks.count("acme") == 2
    finally:
        await dispatcher.stop()
