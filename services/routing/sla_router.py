"""Routing's use cases with SLA clocks (issue #7): the routing ``Router`` plus the clocks'
events, the tenant's SLA policy on every new run, durable timers kept in step with
every commit, and what a timer does when it fires.

Timers are written before the case commit that needs them and pruned after it
(``SlaStore.schedule``/``prune``), so a crash in between leaves at most a stale
timer, which the scheduler drops when it finds nothing owed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from contracts import events
from contracts.envelope import Envelope
from contracts.events import AppealLevel, Priority
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.store import ConcurrencyError, NotFound
from services.routing.care import ProactiveCare
from services.routing.domain import Agent, QueueDef, Route, RoutingCase, RoutingPolicy
from services.routing.escalation import escalate
from services.routing.handlers import COMMAND_RETRIES, Router
from services.routing.kb.articles import KnowledgeBase
from services.routing.sla import TimerKind
from services.routing.sla_store import SlaStore, StoredTimer
from services.routing.store import RoutingStore

log = logging.getLogger(__name__)

WAITING_ON_TRAVELLER = "waiting_on_traveller"
WAITING_ON_SUPPLIER = "waiting_on_supplier"
WAITING = frozenset({WAITING_ON_TRAVELLER, WAITING_ON_SUPPLIER})
"""Intake's waiting statuses (``services.intake.domain.WAITING``), as ``ticket.status_changed``
names them."""


@dataclass
class Desk:
    """A tenant's agents, queues and routing policy, as an escalation reads them."""

    agents: list[Agent]
    queues: dict[str, QueueDef]
    policy: RoutingPolicy


Desks = dict[str, Desk]


class SlaRouter(Router):
    def __init__(
        self,
        store: RoutingStore,
        sla: SlaStore,
        kb: KnowledgeBase,
        clock: Clock,
        *,
        threshold: float,
        care: ProactiveCare | None = None,
    ) -> None:
        super().__init__(store, kb, clock, threshold=threshold, care=care)
        self.sla = sla

    # ------------------------------------------------------------------ consumers

    async def ticket_replied(self, envelope: Envelope[events.TicketReplied]) -> None:
        """An agent answered: first or next response stops."""
        case, fresh = await self._load(envelope, envelope.payload.ticket_id)
        if case is None:
            return
        case.respond(envelope.payload)
        await self._commit(case, envelope, fresh)

    async def ticket_status_changed(self, envelope: Envelope[events.TicketStatusChanged]) -> None:
        """Waiting pauses the customer clocks (and on a supplier runs the supplier chase);
        leaving a wait resumes them; closing is routing's usual business."""
        changed = envelope.payload
        if changed.to_status == "closed":
            await super().ticket_status_changed(envelope)
            return
        waits, resumes = changed.to_status in WAITING, changed.from_status in WAITING
        if not (waits or resumes):
            return
        case, fresh = await self._load(envelope, changed.ticket_id)
        if case is None:
            return
        if resumes:
            case.end_wait(changed)
        if waits:
            case.wait_on(changed, supplier=changed.to_status == WAITING_ON_SUPPLIER)
        await self._commit(case, envelope, fresh)

    # ------------------------------------------------------------------ timers

    async def fire(self, timer: StoredTimer, desks: Desks | None = None) -> bool:
        """Warn or breach if the case still owes it; True once that is committed (the
        caller then deletes the timer). Otherwise the case's timers are brought in step.

        ``desks`` shares the tenants' agents, queues and policy across a scheduler batch
        (any conflict reads them again). An escalation reserves its agent before the case
        commits; if the commit loses a race, that reservation is given back unless the
        winner named the same agent.
        """
        desks = {} if desks is None else desks
        taken: str | None = None
        for _ in range(COMMAND_RETRIES):
            case = await self.store.cases.get(timer.tenant_id, timer.ticket_id)
            if taken is not None and (case is None or case.assignee != taken):
                await self._give_back(timer.tenant_id, taken, timer.ticket_id)
            taken = None
            if case is None:
                await self.sla.timers.delete_one({"_id": timer.id})
                return False
            now = self.clock.now()
            if not case.timer_due(timer.clock, timer.kind, timer.generation, now):
                await self.sla.sync(case)
                return False
            try:  # the agent reserved, then the case: a conflict on either starts over
                if timer.kind is TimerKind.WARN:
                    case.warn(timer.clock, now)
                else:
                    taken = await self._escalate(case, timer, now, desks)
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
        step = escalate(case, desk.agents, desk.queues, desk.policy, self._language(case))
        await self._reserve(case, step.assignment)
        case.breach(timer.clock, step, now)
        log.info(
            "ticket %s: SLA %s breached, escalated to %s", case.id, timer.clock, step.level.value
        )
        return step.assignment.agent.agent_id if step.assignment.agent else None

    async def _give_back(self, tenant_id: str, agent_id: str, ticket_id: str) -> None:
        try:
            await self.store.agents.change(
                tenant_id, Agent.key(tenant_id, agent_id), lambda agent: agent.release(ticket_id)
            )
        except NotFound:
            return
        self.wake_dispatch(tenant_id)

    # ------------------------------------------------------------------ steps

    async def _route(
        self,
        case: RoutingCase,
        policy: RoutingPolicy,
        priority: Priority,
        note: str,
        *,
        bot_why: str | None,
        appeal: AppealLevel | None = None,
    ) -> Route:
        route = await super()._route(case, policy, priority, note, bot_why=bot_why, appeal=appeal)
        traveller = case.traveller.id if case.traveller else None
        on_trip = await self.care.on_trip(case.tenant_id, traveller) if self.care else False
        return replace(route, sla=await self.sla.policy(case.tenant_id), on_trip=on_trip)

    async def _commit(self, case: RoutingCase, envelope: Envelope[Any], fresh: bool) -> None:
        gone = await self.sla.schedule(case)
        await super()._commit(case, envelope, fresh)
        await self.sla.prune(gone)


def register_sla_subscribers(bus: Bus, router: SlaRouter) -> None:
    bus.subscriber(events.TicketReplied)(router.ticket_replied)
