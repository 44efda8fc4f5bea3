"""Agents' slots: a case takes one of its agent's with a versioned write of the agent
document before the case names them, and gives it back when it leaves them.

A conflict retries the caller's whole message or command; reservations are
idempotent per ticket, so a retry finds the slot it already holds (and claims it
again: the claim's time keeps the orphan sweep, ``assignment.reconcile``, off a slot
whose case commit is on its way). Whenever a slot frees up, ``wake`` tells push
assignment (``assignment.dispatch.Dispatcher.wake``).

An attempt that reserves runs inside ``claim``: when its case commit does not land (a lost
race, an error) the slot it took is given back at once unless the stored case, as the
winner left it, gives that agent the ticket; the sweep would only free it after its grace,
and the agent looked full meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from runtime.clock import Clock
from runtime.store import NotFound
from services.routing.assignment.domain.agents import Agent, Assignment
from services.routing.assignment.domain.orphans import CaseHolder, gives_slot
from services.routing.domain.case import RoutingCase
from services.routing.store import RoutingStore

log = logging.getLogger(__name__)


@dataclass
class Claim:
    """One attempt's reservation before its case commit: whose slot it took, if anyone's."""

    tenant_id: str
    ticket_id: str
    taken: str | None = None


class AgentSlots:
    def __init__(self, store: RoutingStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.wake: Callable[[str], None] = lambda _tenant: None
        """Tells push assignment an agent of this tenant may have room (``Router`` sets it)."""

    @asynccontextmanager
    async def claim(self, case: RoutingCase) -> AsyncIterator[Claim]:
        """Around one attempt's reservation (the caller sets ``Claim.taken``) and its case
        commit: if anything in it raises, the slot taken is settled (``settle``) first."""
        claim = Claim(case.tenant_id, case.id)
        try:
            yield claim
        except Exception:
            await self.settle(claim)
            raise

    async def settle(self, claim: Claim) -> None:
        """A failed attempt's slot given back, unless the stored case gives it its agent (a
        redelivery that lost to the committed first delivery keeps that one's slot); a retry
        that still applies takes it again. A failure here is left to the sweep."""
        if claim.taken is None:
            return
        try:
            stored = await self.store.cases.get(claim.tenant_id, claim.ticket_id)
            holder = None if stored is None else CaseHolder(stored.status, stored.assignee)
            if not gives_slot(holder, claim.taken):
                await self.give_back(claim.tenant_id, claim.taken, claim.ticket_id)
        except Exception as exc:
            log.warning("slot of %s for %s not given back: %r", claim.ticket_id, claim.taken, exc)

    async def reserve(self, case: RoutingCase, assignment: Assignment) -> str | None:
        """Take a slot of the chosen agent before the case names them (versioned write). A slot
        held already is claimed again unless the case names them: the claim's time keeps the
        orphan sweep off it until the case commits (``assignment.reconcile``). Returns whose
        slot was claimed (``Claim.taken``), None when nobody's was."""
        if case.assignee is not None and case.assignee != assignment.assignee:
            await self.release(case)
        agent = assignment.agent
        if agent is None:
            return None
        if agent.holds(case.id) and case.assignee == agent.agent_id:
            return None
        agent.take(case.id, self.clock.now())
        await self.store.agents.save(agent)
        return agent.agent_id

    async def hold(self, tenant_id: str, agent_id: str, ticket_id: str) -> None:
        """An agent named by a transfer holds the ticket, beyond capacity if need be."""
        try:
            await self.store.agents.change(
                tenant_id,
                Agent.key(tenant_id, agent_id),
                lambda agent: agent.take(ticket_id, self.clock.now()),
            )
        except NotFound:
            log.info("transfer to %s, who is not a registered agent of %s", agent_id, tenant_id)

    async def move(self, case: RoutingCase, to_assignee: str | None) -> str | None:
        """A transfer: the case's agent gets their slot back and ``to_assignee`` holds one;
        returns who was newly held (a commit that loses its race gives it back)."""
        if to_assignee == case.assignee:
            return None
        await self.release(case)
        if to_assignee is None:
            return None
        await self.hold(case.tenant_id, to_assignee, case.id)
        return to_assignee

    async def release(self, case: RoutingCase) -> None:
        """The case's agent gets its slot back."""
        if case.assignee is None:
            return
        key = Agent.key(case.tenant_id, case.assignee)
        agent = await self.store.agents.get(case.tenant_id, key)
        if agent is not None and agent.holds(case.id):
            agent.release(case.id)
            await self.store.agents.save(agent)
            self.wake(case.tenant_id)

    async def give_back(self, tenant_id: str, agent_id: str, ticket_id: str) -> None:
        """A slot reserved for a commit that did not land is free again."""
        try:
            await self.store.agents.change(
                tenant_id, Agent.key(tenant_id, agent_id), lambda agent: agent.release(ticket_id)
            )
        except NotFound:
            return
        self.wake(tenant_id)
