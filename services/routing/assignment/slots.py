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
and the agent looked full meanwhile. The agent a move, a re-route, a resolve or a close takes
the case from gets their slot back only once the commit lands, so a failed one leaves it
where the stored case says it is.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from runtime.clock import Clock
from runtime.startup import failure
from runtime.store import NotFound
from services.routing.assignment.domain.agents import Agent, Assignment
from services.routing.assignment.domain.orphans import CaseHolder, gives_slot
from services.routing.domain.case import RoutingCase
from services.routing.store import RoutingStore

log = logging.getLogger(__name__)


@dataclass
class Claim:
    """One attempt's slots around its case commit: whose it took, if anyone's, and who held
    the case when it began (released only once the commit lands)."""

    tenant_id: str
    ticket_id: str
    before: str | None
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
        commit: if anything in it raises, the slot taken is settled (``settle``); once it
        commits, the agent the case named before gets their slot back if the committed case
        no longer gives it them (it names another, or is resolved or closed). That agent
        keeps it until then, so a commit that does not land never frees a slot the stored
        case gives them."""
        claim = Claim(case.tenant_id, case.id, case.assignee)
        try:
            yield claim
        except Exception:
            await self.settle(claim)
            raise
        committed = CaseHolder(case.status, case.assignee)
        if claim.before is not None and not gives_slot(committed, claim.before):
            await self.give_back(claim.tenant_id, claim.before, claim.ticket_id)

    async def settle(self, claim: Claim) -> None:
        """A failed attempt's slot given back, unless the stored case (as the winner left it)
        gives it its agent: a redelivered opening that lost to its committed first delivery
        keeps that one's slot. A retry that still applies reserves again; a failure here is
        left to the sweep."""
        if claim.taken is None:
            return
        try:
            stored = await self.store.cases.get(claim.tenant_id, claim.ticket_id)
            holder = None if stored is None else CaseHolder(stored.status, stored.assignee)
            if not gives_slot(holder, claim.taken):
                await self.give_back(claim.tenant_id, claim.taken, claim.ticket_id)
        except Exception as exc:
            log.warning(
                "slot of %s for %s not given back: %s", claim.ticket_id, claim.taken, failure(exc)
            )

    async def reserve(self, case: RoutingCase, assignment: Assignment) -> str | None:
        """Take a slot of the chosen agent before the case names them (versioned write). A slot
        held already is claimed again unless the case names them: the claim's time keeps the
        orphan sweep off it until the case commits (``assignment.reconcile``). Returns whose
        slot was claimed (``Claim.taken``), None when nobody's was. The case's agent, if
        another, gets theirs back once the case commits (``claim``)."""
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
        """A transfer: ``to_assignee`` holds a slot, and the case's agent gets theirs back
        once the case commits (``claim``); returns who was newly held (a commit that does not
        land gives it back)."""
        if to_assignee == case.assignee or to_assignee is None:
            return None
        await self.hold(case.tenant_id, to_assignee, case.id)
        return to_assignee

    async def give_back(self, tenant_id: str, agent_id: str, ticket_id: str) -> None:
        """The agent's slot for the ticket is free again (a reservation whose commit did not
        land, or the case's previous agent once it committed)."""
        try:
            await self.store.agents.change(
                tenant_id, Agent.key(tenant_id, agent_id), lambda agent: agent.release(ticket_id)
            )
        except NotFound:
            return
        self.wake(tenant_id)
