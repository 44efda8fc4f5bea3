"""Routing's use cases: read every new ticket, answer it from the knowledge base or hand it
to a queue and an agent, and keep the case file in step with what agents do.

Every consumer loads the case, takes its decisions in ``domain`` (after the I/O they need:
tenant policy, queues, agents, articles), reserves the chosen agent (``assignment.slots``)
and then commits the case with its events. A conflict anywhere retries the whole message;
a slot reserved for a commit that does not land is given back at once (``AgentSlots.claim``,
unless the stored case gives it that agent), and the retry reserves again. An
event too late for the case (closed, or resolved or reopened since:
``RoutingCase.superseded``) is only logged. The SLA clocks are a collaborator
(``sla.service.SlaClocks``): the router asks it for the tenant's SLA terms when it routes,
and has it write the case's timers before each commit and prune them after."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from contracts import events
from contracts.envelope import Envelope
from contracts.events import AppealLevel, Priority
from runtime.clock import Clock
from runtime.store import AlreadyExists, ConcurrencyError
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import select_queue
from services.routing.assignment.slots import AgentSlots
from services.routing.bot import bot_decision
from services.routing.care.service import CareView, ProactiveCare
from services.routing.classifier import classify, triage_view, warm_model
from services.routing.domain.case import RoutingCase
from services.routing.domain.corrections import corrected_category, correction_for
from services.routing.domain.merging import take_merged_wait
from services.routing.domain.priority import opening_priority
from services.routing.domain.route import (
    Recategorised,
    Route,
    assign,
    handled_in,
    second_appeal_reviewer,
)
from services.routing.domain.status import WAITING, WAITING_ON_SUPPLIER
from services.routing.domain.triage_view import TriageView
from services.routing.kb.articles import KnowledgeBase
from services.routing.recategorise import recategorise
from services.routing.sla.service import Desks, SlaClocks
from services.routing.sla.store import StoredTimer
from services.routing.store import RoutingStore
from services.routing.takeover import disruption_takeover, reply_takes, transfer_takeover
from services.routing.triage.model import TriageModel, normalise

log = logging.getLogger(__name__)


class Router:
    def __init__(
        self,
        store: RoutingStore,
        kb: KnowledgeBase,
        clock: Clock,
        *,
        threshold: float,
        care: ProactiveCare | None = None,
        clocks: SlaClocks | None = None,
        slots: AgentSlots | None = None,
    ) -> None:
        """Without ``clocks`` the case's clocks run on the default SLA and no timer is kept."""
        self.store = store
        self.kb = kb
        self.clock = clock
        self.threshold = threshold
        self.care = care
        self.clocks = clocks
        self.wake_dispatch: Callable[[str], None] = lambda _tenant: None
        """Tells push assignment (``assignment.dispatch.Dispatcher.wake``) an agent may have
        room; bootstrap sets it. A slot the router's ``slots`` (or its clocks) free calls it."""
        self.slots = slots or AgentSlots(store, clock)
        self.slots.wake = lambda tenant_id: self.wake_dispatch(tenant_id)
        self._model: TriageModel | None = None

    async def start(self) -> None:
        """Load the triage model and embed the seeded articles, once, before consuming."""
        self._model = await asyncio.to_thread(warm_model)
        await self.kb.start()

    @property
    def model(self) -> TriageModel:
        if self._model is None:
            raise RuntimeError("Router.start() has not run")
        return self._model

    # ------------------------------------------------------------------ consumers

    async def ticket_opened(self, envelope: Envelope[events.TicketOpened]) -> None:
        """Classify; answer from the knowledge base when allowed and sure, else route."""
        opened = envelope.payload
        case, fresh = await self._load(envelope)
        if case is None:
            return
        answer, query = await classify(self.model, self.kb.embed_query, case.contact_text(opened))
        triage = triage_view(answer)
        case.take_opening(opened, triage)
        care = (  # one read: urgency, the SLA clocks' calendar and the incident it joins
            await self.care.about(
                case.tenant_id, opened.traveller.id, opened.references, patient=True
            )
            if self.care
            else CareView()
        )
        async with self.slots.claim(case) as claim:  # a commit that does not land frees it
            if case.routable:
                claim.taken = await self._answer_or_route(case, opened, triage, query, care)
            if self.care:  # before the case commits: a redelivery after a crash still links it
                await self.care.cluster(envelope, care)
            await self._commit(case, envelope, fresh)
        if case.waiting_for_agent:  # an agent may have freed a slot while it was routed
            self.wake_dispatch(case.tenant_id)

    async def _answer_or_route(
        self,
        case: RoutingCase,
        opened: events.TicketOpened,
        triage: TriageView,
        query: NDArray[np.float32] | None,
        care: CareView,
    ) -> str | None:
        """The bot's answer when allowed and sure, else a route; returns whose slot it took."""
        now = self.clock.now()
        policy = await self.store.policy(case.tenant_id)
        trips = care.itinerary
        priority, note = self._priority(case, policy, trips.departs_in)
        decision = await bot_decision(self, case, opened, triage, priority, policy, query)
        if decision.answer:
            case.priority = priority
            case.answer_by_bot(decision, self.threshold, now)
            return None
        on_trip = trips.on_trip if self.care else None
        route = await self.route(case, policy, priority, note, decision.why, on_trip)
        taken = await self.slots.reserve(case, route.assignment)
        case.route(route, opened.opened_at, now)
        return taken

    async def ticket_followed_up(self, envelope: Envelope[events.TicketFollowedUp]) -> None:
        followed = envelope.payload
        case, fresh = await self._load(envelope, followed.received_at)
        if case is None:
            return
        policy = await self.store.policy(case.tenant_id)
        case.know_managers(policy)
        case.follow_up(followed, policy.vip_reason(followed.traveller.id), self.clock.now())
        await self._commit(case, envelope, fresh)

    async def ticket_reopened(self, envelope: Envelope[events.TicketReopened]) -> None:
        """To a human, raised; appeals to the expert desk (the second to the support manager)."""
        reopened = envelope.payload
        case, fresh = await self._load(envelope, reopened.reopened_at)
        if case is None:
            return
        case.traveller = reopened.traveller
        policy = await self.store.policy(case.tenant_id)
        priority = case.reopened_priority(reopened)
        route = await self.route(
            case,
            policy,
            priority,
            f"reopened from {case.priority.value}",
            bot_why=None,
            appeal=reopened.appeal_level,
        )
        async with self.slots.claim(case) as claim:
            claim.taken = await self.slots.reserve(case, route.assignment)
            case.reopen(reopened, route, self.clock.now())
            await self._commit(case, envelope, fresh)

    async def ticket_transferred(self, envelope: Envelope[events.TicketTransferred]) -> None:
        """Follow the agent's move (a bot-answered case's is a takeover: ``takeover``), and
        learn from it when it says the category was wrong: once the move is committed, as a
        commit that loses its race may be retried on a case that moved on and never apply."""
        moved = envelope.payload
        case, fresh = await self._load(envelope, moved.transferred_at)
        if case is None:
            return
        category = correction = None
        if case.triage is not None:
            queues = await self.store.catalogue(case.tenant_id)
            category = corrected_category(
                case.triage.category, moved.to_queue, queues, self._probabilities(case.text)
            )
            if category is not None:
                correction = correction_for(
                    case,
                    category,
                    envelope.message_id,
                    kind="transfer",
                    by=moved.by,
                    at=self.clock.now(),
                    to_queue=moved.to_queue,
                )
        takeover = await transfer_takeover(self, case, moved)
        async with self.slots.claim(case) as claim:
            claim.taken = await self.slots.move(case, moved.to_assignee)
            case.transfer(moved, category, takeover)
            await self._commit(case, envelope, fresh)
        if correction is not None:
            await self.store.add_correction(correction)
        if case.waiting_for_agent:  # moved to a queue: an agent there may have room
            self.wake_dispatch(case.tenant_id)

    async def ticket_resolved(self, envelope: Envelope[events.TicketResolved]) -> None:
        case, fresh = await self._load(envelope, envelope.payload.resolved_at)
        if case is None:
            return
        async with self.slots.claim(case):  # the agent's slot is free once it commits
            case.resolve(envelope.payload)
            await self._commit(case, envelope, fresh)

    async def ticket_replied(self, envelope: Envelope[events.TicketReplied]) -> None:
        """A person answered: first or next response stops; a case nobody held is theirs."""
        case, fresh = await self._load(envelope, envelope.payload.replied_at)
        if case is None:
            return
        async with self.slots.claim(case) as claim:
            claim.taken = await reply_takes(self, case, envelope.payload)
            case.respond(envelope.payload)
            await self._commit(case, envelope, fresh)

    async def ticket_status_changed(self, envelope: Envelope[events.TicketStatusChanged]) -> None:
        """Closing gives the agent the slot back; waiting pauses the customer clocks (and on a
        supplier runs the supplier chase); leaving a wait resumes them."""
        changed = envelope.payload
        waits, resumes = changed.to_status in WAITING, changed.from_status in WAITING
        closes = changed.to_status == "closed"
        if not (closes or waits or resumes):
            return
        case, fresh = await self._load(envelope, changed.changed_at)
        if case is None:
            return
        async with self.slots.claim(case):  # a close frees the agent's slot once it commits
            if closes:
                case.close(changed)
            elif waits:  # from another wait too: the clocks stay paused, nothing is re-published
                case.wait_on(changed, supplier=changed.to_status == WAITING_ON_SUPPLIER)
            else:
                case.end_wait(changed)
            await self._commit(case, envelope, fresh)

    async def ticket_merged(self, envelope: Envelope[events.TicketMerged]) -> None:
        """The duplicate's unanswered message now waits on the ticket it went into: its
        response clock goes on there (``take_merged_wait``); the duplicate's own close is
        ``ticket.status_changed``."""
        merged = envelope.payload
        duplicate = await self.store.cases.get(envelope.tenant_id, merged.ticket_id, patient=True)
        survivor = await self.store.cases.get(
            envelope.tenant_id, merged.into_ticket_id, patient=True
        )
        if duplicate is None or survivor is None or survivor.has_processed(envelope.message_id):
            return
        if survivor.superseded(merged.merged_at):
            return
        if take_merged_wait(survivor, duplicate, merged.merged_at):
            await self._commit(survivor, envelope, fresh=False)

    async def disruption_noticed(self, envelope: Envelope[events.DisruptionNotice]) -> None:
        """Intake told a proactive ticket's traveller of a later revision, or joined the
        disruption to the traveller's own ticket (every revision, docs/suppliers.md): a more
        severe one raises the case in place, its clocks retargeted, and one joining a case
        the bot answered hands it to a person (``disruption_takeover``). A proactive
        opening's own notice carries no priority and costs no read."""
        notice = envelope.payload
        if notice.priority is None:
            return
        case, fresh = await self._load(envelope, notice.sent_at)
        if case is None:
            return
        takeover = await disruption_takeover(self, case, notice)
        async with self.slots.claim(case) as claim:
            if takeover is not None:
                claim.taken = await self.slots.reserve(case, takeover.assignment)
            if not case.revise_itinerary(notice, self.clock.now(), takeover):
                return
            await self._commit(case, envelope, fresh)
        if case.waiting_for_agent:  # left in its queue: an agent there may have room
            self.wake_dispatch(case.tenant_id)

    # ------------------------------------------------------------------ SLA timers

    async def fire(self, timer: StoredTimer, desks: Desks | None = None) -> bool:
        """A due SLA timer: warn or breach (``SlaClocks.fire``); True once committed."""
        if self.clocks is None:
            raise RuntimeError("this router keeps no SLA clocks")
        return await self.clocks.fire(timer, desks)

    # ------------------------------------------------------------------ commands (HTTP)

    async def recategorise(
        self, tenant_id: str, ticket_id: str, category: str, by: str, *, keep_agent: bool = False
    ) -> RoutingCase:
        """An agent sets the right category: kept as a correction; an open case is re-routed
        (``recategorise``: who keeps a held case)."""
        moved = Recategorised(by, keep_agent)
        return await recategorise(self, tenant_id, ticket_id, moved, category)

    # ------------------------------------------------------------------ steps

    async def _load(
        self, envelope: Envelope[Any], at: datetime | None = None
    ) -> tuple[RoutingCase | None, bool]:
        """The event's case (a blank one if this event came first), or None if already applied
        or if intake's event at ``at`` is superseded (``RoutingCase.superseded``: only logged);
        a consumed message's load, so patient (``runtime/group_commit.py``). An unknown ticket
        is never refused: intake's events travel on separate queues, so ``ticket.followed_up``
        may come before the ``ticket.opened`` that later fills the blank case."""
        ticket_id: str = envelope.payload.ticket_id
        case = await self.store.cases.get(envelope.tenant_id, ticket_id, patient=True)
        if case is None:
            return RoutingCase.blank(envelope.tenant_id, ticket_id), True
        if case.has_processed(envelope.message_id):
            return None, False
        if at is not None and case.superseded(at):
            log.info("%s of %s ignored: the case moved on", envelope.schema_name, case.id)
            return None, False
        return case, False

    async def _commit(self, case: RoutingCase, envelope: Envelope[Any], fresh: bool) -> None:
        """Save the case with its events; its SLA timers are written before, pruned after. A
        commit that loses its race raises ``ConcurrencyError`` (the caller's ``claim`` gives
        back the slot it took: the retry may find the case superseded or someone else's)."""
        gone = await self.clocks.schedule(case, fresh, patient=True) if self.clocks else []
        try:
            if fresh:
                await self.store.cases.add(case, envelope, patient=True)
            else:
                await self.store.cases.save(case, envelope, patient=True)
        except AlreadyExists as exc:  # another event created it meanwhile: start again
            raise ConcurrencyError(case.id) from exc
        if self.clocks:
            await self.clocks.prune(gone, patient=True)

    def _priority(
        self, case: RoutingCase, policy: RoutingPolicy, departs_in: timedelta | None = None
    ) -> tuple[Priority, str]:
        traveller = case.traveller.id if case.traveller else None
        signals = case.signals(policy.vip_reason(traveller), departs_in)
        return opening_priority(case.base_priority, signals, proactive=case.proactive)

    async def route(
        self,
        case: RoutingCase,
        policy: RoutingPolicy,
        priority: Priority,
        note: str,
        bot_why: str | None,
        on_trip: bool | None = None,
        *,
        appeal: AppealLevel | None = None,
        moved: Recategorised | None = None,
    ) -> Route:
        """Queue, agent and SLA terms for the case (``moved``: a re-categorisation's)."""
        case.know_managers(policy)
        queues = await self.store.catalogue(case.tenant_id)
        queue, rule = select_queue(
            case.triage,
            priority,
            queues,
            appeal=appeal,
            threshold=policy.triage_threshold,
            last_queue=handled_in(case)[0],
        )
        reviewer = None
        if appeal is AppealLevel.SUPPORT_MANAGER:
            reviewer = second_appeal_reviewer(policy, case.resolved_by)
        if reviewer is not None:
            assignment = reviewer
        else:
            agents = await self.store.agents_of(case.tenant_id)
            assignment = assign(agents, case, policy, queue, rule, moved)
        route = Route(queue, rule, assignment, priority, note, bot_why)
        if self.clocks is None:
            return route
        sla, on_trip = await self.clocks.terms(case, on_trip)
        return replace(route, sla=sla, on_trip=on_trip)

    def _probabilities(self, text: str) -> dict[str, float]:
        """Every category's probability for the text (the triage keeps only the top three)."""
        row = self.model.probabilities([normalise(text)])["category"][0]
        return dict(zip(self.model.heads["category"].classes, map(float, row), strict=True))
