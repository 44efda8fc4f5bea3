"""The slot invariant, for tests: every ticket an agent holds is an open (or pending) case
that names them, and every such case naming a registered agent is one they hold
(docs/routing.md, "Agents"). Works on any ``RoutingStore``: the in-memory one of unit tests
or the real store of integration tests."""

from __future__ import annotations

from collections.abc import Sequence

from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.orphans import HOLDING
from services.routing.domain.case import RoutingCase
from services.routing.store import RoutingStore


def slot_mismatches(agents: Sequence[Agent], cases: Sequence[RoutingCase]) -> list[str]:
    """Each way the agents' held slots and the cases that give them disagree, in words."""
    by_id = {case.id: case for case in cases}
    found = []
    for agent in agents:
        for ticket_id in agent.tickets:
            case = by_id.get(ticket_id)
            if case is None:
                found.append(f"{agent.agent_id} holds {ticket_id}, which has no case")
            elif case.status not in HOLDING or case.assignee != agent.agent_id:
                found.append(
                    f"{agent.agent_id} holds {ticket_id}, whose case is "
                    f"{case.status.value} with {case.assignee or 'nobody'}"
                )
    holders = {agent.agent_id: agent for agent in agents}
    for case in cases:
        agent = holders.get(case.assignee or "")
        if case.status in HOLDING and agent is not None and not agent.holds(case.id):
            found.append(f"{case.id} is {case.status.value} with {agent.agent_id}, no slot held")
    return found


async def assert_slots_match(store: RoutingStore, tenant_id: str = "acme") -> None:
    """Fail, naming each mismatch, unless ``tenant_id``'s slots and cases agree now."""
    agents = await store.agents_of(tenant_id)
    cursor = store.cases.collection.find({"tenant_id": tenant_id})
    cases = [RoutingCase.model_validate(doc) async for doc in cursor]
    mismatches = slot_mismatches(agents, cases)
    assert not mismatches, "slots and cases disagree: " + "; ".join(mismatches)
