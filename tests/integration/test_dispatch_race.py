"""Push assignment against whatever MONGO_URL serves (nx-27017 by default): replicas racing
to hand waiting tickets to the same agents never exceed an agent's capacity, never give one
ticket to two agents, and leave every agent's slots matching the cases they hold (#18);
their sweeps give back the slots no case gives an agent, and the room is handed out again.

Each claimer has its own repositories (as two routing processes would), so only the
store's versioned writes keep them apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts.events import Priority
from runtime.clock import FakeClock
from runtime.store import Document, Repository
from services.routing.assignment.dispatch import Dispatch
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import TenantQueue
from services.routing.assignment.reconcile import SlotReconciler
from services.routing.domain.case import RoutingCase
from services.routing.domain.status import CaseStatus
from services.routing.store import AGENTS, CASES, POLICIES, QUEUES, RoutingStore, ensure_indexes
from tests.fakes import RecordingOutbox
from tests.integration.scratch import scratch_database
from tests.integration.test_sla_store import case

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(mongo: AsyncMongoClient[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(mongo, "dispatch", ensure_indexes) as database:
        yield database


def replica(db: AsyncDatabase[Document]) -> RoutingStore:
    """One routing process's view of the store: its own repositories and locks."""
    outbox, clock = RecordingOutbox(), FakeClock(NOW)
    return RoutingStore(
        db,
        Repository(db, CASES, RoutingCase, outbox, clock),
        Repository(db, AGENTS, Agent, outbox, clock),
        Repository(db, QUEUES, TenantQueue, outbox, clock),
        Repository(db, POLICIES, RoutingPolicy, outbox, clock),
    )


async def seed(store: RoutingStore, tickets: int, capacities: dict[str, int]) -> None:
    for n in range(tickets):
        waiting = case(n, NOW + timedelta(seconds=n))
        if n % 3 == 0:
            waiting.priority = Priority.HIGH
        await store.cases.add(waiting)
    for agent_id, capacity in capacities.items():
        await store.agents.add(
            Agent(
                id=Agent.key("acme", agent_id),
                tenant_id="acme",
                agent_id=agent_id,
                categories=["invoice", "booking_failure", "change_rebook", "cancel_refund"],
                languages=["en"],
                capacity=capacity,
                presence=Presence.ONLINE,
            )
        )


async def test_two_replicas_racing_for_one_agents_last_slot_hand_out_one_ticket(
    db: AsyncDatabase[Document],
) -> None:
    await seed(replica(db), tickets=5, capacities={"agent-1": 1})

    counts = await asyncio.gather(
        *(Dispatch(replica(db), FakeClock(NOW)).tenant("acme") for _ in range(2))
    )

    assert sum(counts) == 1
    store = replica(db)
    (agent,) = await store.agents_of("acme")
    assert len(agent.tickets) == 1
    (held,) = agent.tickets
    assigned = [c async for c in store.cases.collection.find({"assignee": "agent-1"})]
    assert [c["_id"] for c in assigned] == [held]
    assert held == "TC-0", "the most urgent: high priority, the nearest deadline"


async def test_racing_replicas_fill_every_free_slot_once_and_no_ticket_twice(
    db: AsyncDatabase[Document],
) -> None:
    capacities = {"agent-1": 3, "agent-2": 2, "agent-3": 4}
    await seed(replica(db), tickets=12, capacities=capacities)

    counts = await asyncio.gather(
        *(Dispatch(replica(db), FakeClock(NOW)).tenant("acme") for _ in range(3))
    )

    assert sum(counts) == sum(capacities.values()) == 9
    store = replica(db)
    agents = {a.agent_id: a for a in await store.agents_of("acme")}
    held = [t for a in agents.values() for t in a.tickets]
    assert len(held) == len(set(held)) == 9, "no ticket held twice"
    for agent_id, agent in agents.items():
        assert len(agent.tickets) == capacities[agent_id]
        owned = [c["_id"] async for c in store.cases.collection.find({"assignee": agent_id})]
        assert sorted(owned) == sorted(agent.tickets), agent_id
    left = [c["_id"] async for c in store.cases.collection.find({"assignee": None})]
    assert len(left) == 3
    assert all(int(t.split("-")[1]) % 3 != 0 for t in left), "high priority went first"


async def test_racing_sweeps_give_back_orphaned_slots_and_the_room_is_handed_out_again(
    db: AsyncDatabase[Document],
) -> None:
    """A resolve that never gave the slot back, a case older code gave someone else, a slot
    taken by a process that died before its case existed: two replicas' sweeps (one held
    ticket a sweep, so paging runs too) give those back, never a slot an open case names,
    and dispatch fills the room with the tickets still waiting."""
    capacities = {"agent-1": 2, "agent-2": 2}
    await seed(replica(db), tickets=7, capacities=capacities)
    assert await Dispatch(replica(db), FakeClock(NOW)).tenant("acme") == 4
    store = replica(db)
    agents = {a.agent_id: a for a in await store.agents_of("acme")}
    resolved, reassigned = agents["agent-1"].tickets[0], agents["agent-2"].tickets[0]
    await store.cases.collection.update_one(
        {"_id": resolved}, {"$set": {"status": CaseStatus.RESOLVED.value, "assignee": None}}
    )
    await store.cases.collection.update_one({"_id": reassigned}, {"$set": {"assignee": "agent-9"}})
    await store.agents.change("acme", Agent.key("acme", "agent-2"), lambda a: a.take("TC-X", NOW))

    later = FakeClock(NOW + timedelta(minutes=3))
    sweeps = [SlotReconciler(replica(db), later, grace_s=120, checks=1) for _ in range(2)]
    given = [await asyncio.gather(*(s.sweep() for s in sweeps)) for _ in range(4)]
    assert sum(map(sum, given)) == 3
    assert await Dispatch(replica(db), later).tenant("acme") == 2

    store = replica(db)
    for agent in await store.agents_of("acme"):
        assert len(agent.tickets) == capacities[agent.agent_id]
        query = {"assignee": agent.agent_id, "status": CaseStatus.OPEN.value}
        owned = [c["_id"] async for c in store.cases.collection.find(query)]
        assert sorted(owned) == sorted(agent.tickets), agent.agent_id
    assert resolved not in [t for a in await store.agents_of("acme") for t in a.tickets]
