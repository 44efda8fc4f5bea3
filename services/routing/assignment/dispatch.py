"""Push assignment: a waiting case goes to an agent the moment they have room (issue #18).

Agents free capacity by resolving or closing a ticket, by losing one to an
escalation or a transfer, by coming online, or by a manager raising their
capacity. Each of those calls ``Dispatcher.wake(tenant)``; the dispatcher then
hands out the tenant's waiting cases, most urgent first
(``dispatch_rules.next_handout``), until nobody free can take any. A sweep every
``TRIPCARE_DISPATCH_SWEEP_S`` does the same for every tenant with a free online
agent, so a wake-up lost to a crash, or made on another replica, costs seconds; before
it, the sweep gives back a bounded page of slots no case gives their agent
(``reconcile.SlotReconciler``), so a slot a dead process left behind costs minutes.

Safe across replicas without locks: the agent's slot is claimed first with a
versioned write of the agent document (two replicas claiming the last slot:
one write wins, the other reloads and finds the agent full), then the case is
assigned with a versioned write of the case (two agents claiming one case: one
wins, the loser gives its slot back and looks again). Both run inside
``AgentSlots.claim``, as every reservation does, so a case commit failing for any other
reason gives the slot back too.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Priority
from runtime.clock import Clock
from runtime.startup import failure
from runtime.store import ConcurrencyError, Document
from services.routing.assignment.domain.agents import Assignment, Presence
from services.routing.assignment.domain.dispatch_rules import Handout, Waiting, next_handout
from services.routing.assignment.reconcile import SlotReconciler
from services.routing.assignment.slots import AgentSlots
from services.routing.domain.status import CaseStatus
from services.routing.kb.domain import reading_language
from services.routing.store import RoutingStore

log = logging.getLogger(__name__)
WAITING_FIELDS = {
    "queue": 1,
    "priority": 1,
    "first_response_due": 1,
    "first_response_at": 1,
    "resolution_due": 1,
    "opened_at": 1,
    "triage": 1,
    "traveller": 1,
    "proactive": 1,
    "appealed_resolver": 1,
}
MAX_WAITING_READ = 2_000
"""Waiting cases read per look; the most urgent of a larger backlog may wait one more look."""
HANDOUTS_PER_WAKE = 200


class DispatchSettings(BaseModel):
    """The safety-net sweep of push assignment (``TRIPCARE_DISPATCH_*``, read by
    ``config.RoutingSettings``)."""

    model_config = ConfigDict(frozen=True)

    sweep_s: float = Field(
        default=5.0, gt=0, description="Every tenant with a free online agent is looked at."
    )
    gather_s: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="A wake-up waits this long, so the wake-ups of the next moments share one "
        "look (every case routed to a queue wakes its tenant: one read of its agents each).",
    )
    slot_grace_s: float = Field(
        default=120.0,
        ge=10,
        description="A held ticket whose case does not give the agent its slot is given back "
        "once its claim is this old: the slot is written before the case, whose commit comes "
        "within this.",
    )
    slot_checks: int = Field(
        default=200,
        ge=1,
        description="Held tickets each sweep checks against their cases (agents in turn).",
    )


def waiting_of(doc: Document) -> Waiting:
    """A case's projection (``WAITING_FIELDS``) as dispatch reads it."""
    triage: dict[str, Any] = doc.get("triage") or {}
    traveller: dict[str, Any] = doc.get("traveller") or {}
    language = reading_language(
        triage.get("language"),
        traveller.get("language"),
        traveller.get("detected_language"),
        proactive=bool(doc.get("proactive")),
    )
    answered = doc.get("first_response_at") is not None
    return Waiting(
        ticket_id=doc["_id"],
        queue=doc["queue"],
        priority=Priority(doc.get("priority") or Priority.NORMAL),
        due=doc.get("resolution_due") if answered else doc.get("first_response_due"),
        opened_at=doc.get("opened_at"),
        category=triage.get("category"),
        language=language,
        excluded=doc.get("appealed_resolver"),
    )


class Dispatch:
    """The use case: hand out one tenant's waiting cases to its free agents."""

    def __init__(self, store: RoutingStore, clock: Clock, *, retries: int = 10) -> None:
        self.store = store
        self.clock = clock
        self.retries = retries
        self.slots = AgentSlots(store, clock)
        """Its own: a slot it gives back wakes nobody, as this look goes on anyway (and a
        store that keeps failing must not wake it into a loop)."""

    async def waiting(self, tenant_id: str) -> list[Waiting]:
        query = {"tenant_id": tenant_id, "status": CaseStatus.OPEN.value, "assignee": None}
        cursor = self.store.cases.collection.find(query, WAITING_FIELDS).limit(MAX_WAITING_READ)
        return [waiting_of(doc) async for doc in cursor if doc.get("queue")]

    async def tenant(self, tenant_id: str) -> int:
        """Hand out until nobody free can take a waiting case; returns how many went out."""
        handed, conflicts = 0, 0
        while handed < HANDOUTS_PER_WAKE and conflicts < self.retries:
            agents = await self.store.agents_of(tenant_id)
            if not any(a.unavailable() is None for a in agents):
                break
            policy = await self.store.policy(tenant_id)
            queues = await self.store.catalogue(tenant_id)
            handout = next_handout(await self.waiting(tenant_id), agents, queues, policy.assignment)
            if handout is None:
                break
            if await self._hand(tenant_id, handout):
                handed += 1
            else:
                conflicts += 1
        return handed

    async def _hand(self, tenant_id: str, handout: Handout) -> bool:
        """Claim the agent's slot, then the case; False when a race was lost (look again).
        A case commit that does not land, for any reason, gives the slot back at once unless
        the stored case gives it that agent (``AgentSlots.claim``)."""
        agent, ticket_id = handout.agent, handout.waiting.ticket_id
        case = await self.store.cases.get(tenant_id, ticket_id)
        if case is None or not case.waiting_for_agent:
            return False
        assignment = Assignment(agent.agent_id, handout.note, agent)
        try:
            async with self.slots.claim(case) as claim:
                claim.taken = await self.slots.reserve(case, assignment)
                case.hand_to(assignment, self.clock.now())
                await self.store.cases.save(case)
        except ConcurrencyError:
            return False
        log.info("ticket %s pushed to %s", ticket_id, agent.agent_id)
        return True

    async def tenants_with_room(self) -> set[str]:
        """Tenants with an online agent below capacity (the sweep's worklist)."""
        cursor = self.store.agents.collection.find(
            {"presence": Presence.ONLINE.value}, {"tenant_id": 1, "tickets": 1, "capacity": 1}
        )
        return {
            doc["tenant_id"]
            async for doc in cursor
            if len(doc.get("tickets") or ()) < int(doc.get("capacity") or 0)
        }


class Dispatcher:
    """The background worker: serves wake-ups at once, sweeps every ``sweep_s``."""

    def __init__(
        self,
        dispatch: Dispatch,
        settings: DispatchSettings | None = None,
        reconciler: SlotReconciler | None = None,
    ) -> None:
        self.dispatch = dispatch
        settings = settings or DispatchSettings()
        self.sweep_s = settings.sweep_s
        self.gather_s = settings.gather_s
        self.reconciler = reconciler
        self._todo: dict[str, None] = {}
        self._wakeup = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    def wake(self, tenant_id: str) -> None:
        """An agent of this tenant may have room now: look at its waiting cases soon."""
        self._todo[tenant_id] = None
        self._wakeup.set()

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="routing-dispatcher")

    async def stop(self, timeout_s: float = 10.0) -> None:
        if self._loop is None:
            return
        self._loop.cancel()
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(self._loop, timeout_s)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self.sweep_s
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), max(0.0, next_sweep - loop.time()))
            if self._todo and self.gather_s:
                await asyncio.sleep(self.gather_s)  # later wake-ups join this look
            self._wakeup.clear()
            if loop.time() >= next_sweep:
                next_sweep = loop.time() + self.sweep_s
                await self._sweep()
            await self._serve()

    async def _sweep(self) -> None:
        """Give back orphaned slots, then look at every tenant with a free online agent."""
        try:
            if self.reconciler is not None:
                await self.reconciler.sweep()
        except Exception as exc:
            log.warning("orphan-slot sweep failed: %s", failure(exc))
        try:
            for tenant_id in await self.dispatch.tenants_with_room():
                self._todo[tenant_id] = None
        except Exception as exc:
            log.warning("dispatch sweep failed: %s", failure(exc))

    async def _serve(self) -> None:
        while self._todo:
            tenant_id = next(iter(self._todo))
            del self._todo[tenant_id]
            try:
                await self.dispatch.tenant(tenant_id)
            except Exception as exc:  # the next sweep tries again
                log.warning("dispatch for %s failed: %s", tenant_id, failure(exc))
