"""The orphan-slot sweep: agents' held tickets checked against their cases, and the slots
no case gives them handed back (``assignment.domain.orphans`` decides which; issue: an
agent who looked busy for good got no pushed work).

Run by push assignment's periodic sweep (``dispatch.Dispatcher``): each sweep reads a page
of agent documents in ``_id`` order from where the last one stopped and checks at most
``slot_checks`` held tickets (one read of their cases for the page), starting over after the
last agent, so the work per sweep is bounded and every slot is looked at in turn. A slot
is given back only when older than ``slot_grace_s``: a slot is written before its case,
and a young one may be a reservation whose case commit is on its way. The release is a
versioned write that decides again on the agent's latest document, so a slot claimed
again meanwhile (its claim renewed before a case commit) stays. Each release is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from runtime.clock import Clock
from runtime.store import NotFound
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.orphans import CaseHolder, Orphan, orphans
from services.routing.domain.status import CaseStatus
from services.routing.store import RoutingStore

log = logging.getLogger(__name__)
FIELDS = {"tenant_id": 1, "status": 1, "assignee": 1}
"""What the sweep reads of a case."""


class SlotReconciler:
    """Gives back the slots no case gives their agent, a bounded page per sweep."""

    def __init__(self, store: RoutingStore, clock: Clock, *, grace_s: float, checks: int) -> None:
        self.store = store
        self.clock = clock
        self.grace = timedelta(seconds=grace_s)
        self.checks = checks
        self._after = ""
        """The ``_id`` of the last agent document looked at; "" starts from the first."""

    async def sweep(self) -> int:
        """Check the next page of held tickets; returns how many slots were given back (their
        agents have room: the dispatcher's sweep looks at their tenants next)."""
        cutoff = self.clock.now() - self.grace
        agents = await self._page()
        cases = await self._cases(agents)
        given = 0
        for agent in agents:
            given += await self._give_back(agent, cases.get(agent.tenant_id, {}), cutoff)
        return given

    async def _page(self) -> list[Agent]:
        """The next agents holding tickets, up to ``checks`` held tickets in all (one agent at
        least); the cursor moves past them, and back to the first after the last agent."""
        cursor = self.store.agents.collection.find({"_id": {"$gt": self._after}})
        docs = [doc async for doc in cursor.sort("_id", 1).limit(self.checks)]
        page: list[Agent] = []
        held = 0
        for doc in docs:
            if held >= self.checks:
                break
            agent = Agent.model_validate(doc)
            self._after = agent.id
            if agent.tickets:
                page.append(agent)
                held += len(agent.tickets)
        else:
            if len(docs) < self.checks:
                self._after = ""
        return page

    async def _cases(self, agents: list[Agent]) -> dict[str, dict[str, CaseHolder]]:
        """What the held tickets' cases say, by tenant and ticket: one read for the page."""
        tickets = sorted({t for agent in agents for t in agent.tickets})
        if not tickets:
            return {}
        tenants = sorted({agent.tenant_id for agent in agents})
        query = {"_id": {"$in": tickets}, "tenant_id": {"$in": tenants}}
        cases: dict[str, dict[str, CaseHolder]] = {}
        async for doc in self.store.cases.collection.find(query, FIELDS):
            status = CaseStatus(doc.get("status") or CaseStatus.PENDING)
            cases.setdefault(doc["tenant_id"], {})[doc["_id"]] = CaseHolder(
                status, doc.get("assignee")
            )
        return cases

    async def _give_back(
        self, agent: Agent, cases: Mapping[str, CaseHolder], cutoff: datetime
    ) -> int:
        """Release ``agent``'s orphans, decided again on their latest document."""
        if not orphans(agent, cases, cutoff):
            return 0
        given: list[Orphan] = []

        def release(latest: Agent) -> None:
            given[:] = orphans(latest, cases, cutoff)
            for orphan in given:
                latest.release(orphan.ticket_id)

        try:
            await self.store.agents.change(agent.tenant_id, agent.id, release)
        except NotFound:  # removed meanwhile: nothing holds anything
            return 0
        for orphan in given:
            log.info(
                "slot of %s given back by %s of %s: %s (held over %.0f s)",
                orphan.ticket_id,
                agent.agent_id,
                agent.tenant_id,
                orphan.why,
                self.grace.total_seconds(),
            )
        return len(given)
