"""Routing's SLA clocks (issue #7) as a collaborator the ``Router`` is given in bootstrap:
the tenant's SLA terms for every new run of the clocks, durable timers kept in step with
every case commit, and what a due timer does.

Timers are written before the case commit that needs them and pruned after it
(``SlaStore.schedule``/``prune``), so a crash in between leaves at most a stale
timer, which the scheduler drops when it finds nothing owed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from runtime.clock import Clock
from runtime.store import ConcurrencyError
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.escalation import escalate
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import QueueDef
from services.routing.assignment.slots import AgentSlots
from services.routing.care.service import ProactiveCare
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import desk_language
from services.routing.sla.domain import SlaPolicy, TimerKind
from services.routing.sla.store import SlaStore, StoredTimer
from services.routing.store import COMMAND_RETRIES, RoutingStore

log = logging.getLogger(__name__)


@dataclass
class Desk:
    """A tenant's agents, queues and routing policy, as an escalation reads them."""

    agents: list[Agent]
    queues: dict[str, QueueDef]
    policy: RoutingPolicy


Desks = dict[str, Desk]


class SlaClocks:
    def __init__(
        self,
        sla: SlaStore,
        store: RoutingStore,
        slots: AgentSlots,
        clock: Clock,
        *,
        care: ProactiveCare | None = None,
    ) -> None:
        self.sla = sla
        self.store = store
        self.slots = slots
        self.clock = clock
        self.care = care

    # ------------------------------------------------------------------ around a case

    async def terms(self, case: RoutingCase, on_trip: bool | None = None) -> tuple[SlaPolicy, bool]:
        """The tenant's SLA policy, and whether the traveller is travelling now (the clocks
        then count 24/7): what a new run of the case's clocks starts on. ``on_trip`` is
        given by a caller that has read the traveller's itinerary already."""
        if on_trip is None:
            traveller = case.traveller.id if case.traveller else None
            on_trip = await self.care.on_trip(case.tenant_id, traveller) if self.care else False
        return await self.sla.policy(case.tenant_id), on_trip

    async def schedule(
        self, case: RoutingCase, fresh: bool = False, *, patient: bool = False
    ) -> list[str]:
        """Write the timers the case needs, before its commit; returns those to ``prune``.
        A ``fresh`` case (its first commit) has none stored to read. ``patient``: a
        consumed message's, which may wait a moment to share the store command."""
        return await self.sla.schedule(case, fresh, patient=patient)

    async def prune(self, gone: list[str], *, patient: bool = False) -> None:
        """Delete, after the commit, the timers the committed case no longer needs."""
        await self.sla.prune(gone, patient=patient)

    # ------------------------------------------------------------------ timers

    async def fire(self, timer: StoredTimer, desks: Desks | None = None) -> bool:
        """Warn or breach if the case still owes it; True once that is committed (the
        caller then deletes the timer). Otherwise the case's timers are brought in step.

        ``desks`` shares the tenants' agents, queues and policy across a scheduler batch
        (any conflict reads them again). An escalation reserves its agent before the case
        commits; if the commit does not land, the slots are settled at once as the stored
        case gives them (``AgentSlots.claim``).
        """
        desks = {} if desks is None else desks
        for _ in range(COMMAND_RETRIES):
            case = await self.store.cases.get(timer.tenant_id, timer.ticket_id)
            if case is None:
                await self.sla.timers.delete_one({"_id": timer.id})
                return False
            now = self.clock.now()
            if not case.timer_due(timer.clock, timer.kind, timer.generation, now):
                await self.sla.sync(case)
                return False
            try:  # the agent reserved, then the case: a conflict on either starts over
                async with self.slots.claim(case) as claim:
                    if timer.kind is TimerKind.WARN:
                        case.warn(timer.clock, now)
                    else:
                        claim.taken = await self._escalate(case, timer, now, desks)
                    await self.store.cases.save(case)
            except ConcurrencyError:
                desks.pop(timer.tenant_id, None)
                continue
            return True
        raise ConcurrencyError(f"timer {timer.id}: {COMMAND_RETRIES} conflicts")

    async def _escalate(
        self, case: RoutingCase, timer: StoredTimer, now: datetime, desks: Desks
    ) -> str | None:
        """Breach and escalate; returns the agent whose slot was reserved for it, if any."""
        desk = desks.get(case.tenant_id)
        if desk is None:
            desk = desks[case.tenant_id] = Desk(
                await self.store.agents_of(case.tenant_id),
                await self.store.catalogue(case.tenant_id),
                await self.store.policy(case.tenant_id),
            )
        case.know_managers(desk.policy)
        language = desk_language(case)
        step = escalate(case, desk.agents, desk.queues, desk.policy, language)
        taken = await self.slots.reserve(case, step.assignment)
        case.breach(timer.clock, step, now)
        log.info(
            "ticket %s: SLA %s breached, escalated to %s", case.id, timer.clock, step.level.value
        )
        return taken
