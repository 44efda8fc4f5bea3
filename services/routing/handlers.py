"""Routing's use cases: read every new ticket, answer it from the knowledge base or hand it
to a queue and an agent, and keep the case file in step with what agents do.

Every consumer loads the case, takes its decisions in ``domain`` (after the I/O
they need: tenant policy, queues, agents, articles), reserves the chosen agent
with a versioned write and then commits the case with its events. A conflict
anywhere retries the whole message; reservations are idempotent per ticket, so a
retry finds the agent it already holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from contracts import events
from contracts.envelope import Envelope
from contracts.events import AppealLevel, CategoryConfidence, Priority
from runtime.bus import Bus
from runtime.clock import Clock
from runtime.store import AlreadyExists, ConcurrencyError, NotFound
from services.routing.care import ProactiveCare
from services.routing.domain import (
    ANSWER_LANGUAGES,
    Agent,
    Assignment,
    CaseStatus,
    Correction,
    Route,
    RoutingCase,
    RoutingPolicy,
    Rule,
    TriageView,
    adjust_priority,
    answer_language,
    bot_refusal,
    choose_agent,
    corrected_category,
    decide_bot,
    select_queue,
)
from services.routing.kb.articles import KnowledgeBase, answerable
from services.routing.store import RoutingStore
from services.routing.triage.model import Triage, TriageModel, default_model, normalise

log = logging.getLogger(__name__)
COMMAND_RETRIES = 10


class NotClassified(Exception):
    """The case has no classification yet: nothing to correct."""


def triage_view(triage: Triage) -> TriageView:
    return TriageView(
        language=triage.lang,
        category=triage.category,
        category_confidence=round(triage.category_confidence, 4),
        urgency=triage.urgency,
        urgency_confidence=round(triage.urgency_confidence, 4),
        sentiment=triage.sentiment,
        sentiment_confidence=round(triage.sentiment_confidence, 4),
        language_confidence=round(triage.lang_confidence, 4),
        top_categories=[
            CategoryConfidence(category=c.category, confidence=round(c.probability, 4))
            for c in triage.top_categories
        ],
        model_version=triage.model_version,
    )


def _warm_model() -> TriageModel:
    model = default_model()
    model.classify("warm up: 你好 こんにちは")  # builds the vectorizer's caches once
    return model


class Router:
    def __init__(
        self,
        store: RoutingStore,
        kb: KnowledgeBase,
        clock: Clock,
        *,
        threshold: float,
        care: ProactiveCare | None = None,
    ) -> None:
        self.store = store
        self.kb = kb
        self.clock = clock
        self.threshold = threshold
        self.care = care
        self._model: TriageModel | None = None
        self.wake_dispatch: Callable[[str], None] = lambda _tenant: None
        """Tells push assignment (``dispatch.Dispatcher.wake``) an agent may have room."""

    async def start(self) -> None:
        """Load the triage model and embed the seeded articles, once, before consuming."""
        self._model = await asyncio.to_thread(_warm_model)
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
        case, fresh = await self._load(envelope, opened.ticket_id)
        if case is None:
            return
        triage = triage_view(self.model.classify(RoutingCase.contact_text(opened)))
        case.take_opening(opened, triage)
        if case.routable:
            now = self.clock.now()
            policy = await self.store.policy(case.tenant_id)
            departs_in = (
                await self.care.departs_in(case.tenant_id, opened.traveller.id)
                if self.care
                else None
            )
            priority, note = self._priority(case, policy, departs_in)
            articles = await self.kb.articles_for(case.tenant_id)
            refusal = bot_refusal(
                triage,
                priority,
                bot_enabled=policy.bot_enabled,
                human_only=case.human_only,
                names_booking=case.names_booking,
                answerable=answerable(articles),
            )
            match = None
            if refusal is None:
                match = await self.kb.best_match(case.text, articles, triage.category)
            decision = decide_bot(
                refusal,
                match,
                threshold=self.threshold,
                languages=(opened.traveller.language, triage.language),
            )
            if decision.answer:
                case.priority = priority
                case.answer_by_bot(decision, self.threshold, now)
            else:
                route = await self._route(case, policy, priority, note, bot_why=decision.why)
                await self._reserve(case, route.assignment)
                case.route(route, opened.opened_at, now)
        if self.care:  # before the case commits: a redelivery after a crash still links it
            await self.care.cluster(envelope)
        await self._commit(case, envelope, fresh)
        if case.waiting_for_agent:  # an agent may have freed a slot while it was routed
            self.wake_dispatch(case.tenant_id)

    async def ticket_followed_up(self, envelope: Envelope[events.TicketFollowedUp]) -> None:
        followed = envelope.payload
        case, fresh = await self._load(envelope, followed.ticket_id)
        if case is None:
            return
        policy = await self.store.policy(case.tenant_id)
        case.know_managers(policy)
        case.follow_up(followed, policy.vip_reason(followed.traveller.id), self.clock.now())
        await self._commit(case, envelope, fresh)

    async def ticket_reopened(self, envelope: Envelope[events.TicketReopened]) -> None:
        """To a human, raised; appeals to the expert desk (the second to the support manager)."""
        reopened = envelope.payload
        case, fresh = await self._load(envelope, reopened.ticket_id)
        if case is None:
            return
        case.traveller = reopened.traveller
        policy = await self.store.policy(case.tenant_id)
        priority = case.reopened_priority(reopened)
        route = await self._route(
            case,
            policy,
            priority,
            f"reopened from {case.priority.value}",
            bot_why=None,
            appeal=reopened.appeal_level,
        )
        await self._reserve(case, route.assignment)
        case.reopen(reopened, route, self.clock.now())
        await self._commit(case, envelope, fresh)

    async def ticket_transferred(self, envelope: Envelope[events.TicketTransferred]) -> None:
        """Follow the agent's move, and learn from it when it says the category was wrong."""
        moved = envelope.payload
        case, fresh = await self._load(envelope, moved.ticket_id)
        if case is None:
            return
        if case.triage is not None:
            queues = await self.store.catalogue(case.tenant_id)
            category = corrected_category(
                case.triage.category, moved.to_queue, queues, self._probabilities(case.text)
            )
            if category is not None:
                await self.store.add_correction(
                    self._correction(
                        case,
                        category,
                        envelope.message_id,
                        kind="transfer",
                        by=moved.by,
                        to_queue=moved.to_queue,
                    )
                )
        if moved.to_assignee != case.assignee:
            await self._release(case)
            if moved.to_assignee is not None:
                await self._hold(case.tenant_id, moved.to_assignee, case.id)
        case.transfer(moved)
        await self._commit(case, envelope, fresh)

    async def ticket_resolved(self, envelope: Envelope[events.TicketResolved]) -> None:
        case, fresh = await self._load(envelope, envelope.payload.ticket_id)
        if case is None:
            return
        await self._release(case)
        case.resolve(envelope.payload)
        await self._commit(case, envelope, fresh)

    async def ticket_status_changed(self, envelope: Envelope[events.TicketStatusChanged]) -> None:
        """Only a closed ticket concerns routing: its agent gets the slot back."""
        if envelope.payload.to_status != "closed":
            return
        case, fresh = await self._load(envelope, envelope.payload.ticket_id)
        if case is None:
            return
        await self._release(case)
        case.close(envelope.payload)
        await self._commit(case, envelope, fresh)

    # ------------------------------------------------------------------ commands (HTTP)

    async def recategorise(
        self, tenant_id: str, ticket_id: str, category: str, by: str
    ) -> RoutingCase:
        """An agent sets the right category: kept as a correction; an open case is re-routed.

        The assignee stays when the category's queue is the case's queue.
        """
        for _ in range(COMMAND_RETRIES):
            case = await self.store.cases.get(tenant_id, ticket_id)
            if case is None:
                raise NotFound(ticket_id)
            if case.triage is None:
                raise NotClassified(ticket_id)
            correction = self._correction(
                case, category, f"{ticket_id}:{by}:{category}", kind="recategorised", by=by
            )
            try:
                if case.status is CaseStatus.OPEN and case.queue is not None:
                    corrected = case.triage.model_copy(
                        update={"category": category, "category_confidence": 1.0}
                    )
                    route = await self._reroute(case, corrected)
                    correction = correction.model_copy(update={"to_queue": route.queue.id})
                    await self._reserve(case, route.assignment)
                    case.recategorise(category, route, by=by, now=self.clock.now())
                else:
                    case.triage = case.triage.model_copy(update={"category": category})
                await self.store.cases.save(case)
            except ConcurrencyError:
                continue
            await self.store.add_correction(correction)
            return case
        raise ConcurrencyError(f"case {ticket_id}: {COMMAND_RETRIES} conflicts")

    # ------------------------------------------------------------------ steps

    async def _load(
        self, envelope: Envelope[Any], ticket_id: str
    ) -> tuple[RoutingCase | None, bool]:
        """The case (a blank one if this event came first), or None if already applied."""
        case = await self.store.cases.get(envelope.tenant_id, ticket_id)
        if case is None:
            return RoutingCase.blank(envelope.tenant_id, ticket_id), True
        if case.has_processed(envelope.message_id):
            return None, False
        return case, False

    async def _commit(self, case: RoutingCase, envelope: Envelope[Any], fresh: bool) -> None:
        if fresh:
            try:
                await self.store.cases.add(case, envelope)
            except AlreadyExists as exc:  # another event created it meanwhile: start again
                raise ConcurrencyError(case.id) from exc
        else:
            await self.store.cases.save(case, envelope)

    def _priority(
        self, case: RoutingCase, policy: RoutingPolicy, departs_in: timedelta | None = None
    ) -> tuple[Priority, str]:
        traveller = case.traveller.id if case.traveller else None
        priority, reasons = adjust_priority(
            case.base_priority, case.signals(policy.vip_reason(traveller), departs_in)
        )
        note = f"classifier {case.base_priority.value}"
        return priority, note + (f", raised: {', '.join(reasons)}" if reasons else "")

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
        case.know_managers(policy)
        queues = await self.store.catalogue(case.tenant_id)
        queue, rule = select_queue(
            case.triage, priority, queues, appeal=appeal, threshold=policy.triage_threshold
        )
        if appeal is AppealLevel.SUPPORT_MANAGER and policy.support_manager:
            manager = policy.support_manager
            assignment = Assignment(manager, f"{manager}: the support manager reviews it")
        else:
            traveller = case.traveller.id if case.traveller else None
            assignment = choose_agent(
                await self.store.agents_of(case.tenant_id),
                tenant_id=case.tenant_id,
                ticket_id=case.id,
                queue=queue,
                category=case.triage.category if case.triage else None,
                language=self._language(case),
                account_manager=policy.account_manager_for(traveller)
                if rule is Rule.CATEGORY
                else None,
                mode=policy.assignment,
            )
        return Route(queue, rule, assignment, priority, note, bot_why)

    async def _reroute(self, case: RoutingCase, corrected: TriageView) -> Route:
        """The route after a re-categorisation: the new family queue, or the same one."""
        queues = await self.store.catalogue(case.tenant_id)
        policy = await self.store.policy(case.tenant_id)
        queue, _ = select_queue(corrected, case.priority, queues, threshold=policy.triage_threshold)
        if case.rule in (Rule.APPEAL, Rule.CRITICAL) or queue.id == case.queue:
            kept = queues.get(case.queue or "", queue)
            assignment = Assignment(case.assignee, f"assignee kept ({case.assignee or 'none'})")
            return Route(kept, Rule.RECATEGORISED, assignment, case.priority, "", case.bot_decision)
        route = await self._route(
            case.model_copy(update={"triage": corrected}),
            policy,
            case.priority,
            "",
            bot_why=case.bot_decision,
        )
        return Route(
            route.queue, Rule.RECATEGORISED, route.assignment, case.priority, "", case.bot_decision
        )

    def _probabilities(self, text: str) -> dict[str, float]:
        """Every category's probability for the text (the triage keeps only the top three)."""
        row = self.model.probabilities([normalise(text)])["category"][0]
        return dict(zip(self.model.heads["category"].classes, map(float, row), strict=True))

    @staticmethod
    def _language(case: RoutingCase) -> str | None:
        """The language an agent must read: the contact's, else the traveller's preference."""
        if case.triage is not None and case.triage.language in ANSWER_LANGUAGES:
            return case.triage.language
        return answer_language(case.traveller.language if case.traveller else None)

    async def _reserve(self, case: RoutingCase, assignment: Assignment) -> None:
        """Take a slot of the chosen agent before the case names them (versioned write)."""
        if case.assignee is not None and case.assignee != assignment.assignee:
            await self._release(case)
        agent = assignment.agent
        if agent is None:
            return
        if not agent.holds(case.id):
            agent.take(case.id, self.clock.now())
            await self.store.agents.save(agent)

    async def _hold(self, tenant_id: str, agent_id: str, ticket_id: str) -> None:
        """An agent named by a transfer holds the ticket, beyond capacity if need be."""
        try:
            await self.store.agents.change(
                tenant_id,
                Agent.key(tenant_id, agent_id),
                lambda agent: agent.take(ticket_id, self.clock.now()),
            )
        except NotFound:
            log.info("transfer to %s, who is not a registered agent of %s", agent_id, tenant_id)

    async def _release(self, case: RoutingCase) -> None:
        if case.assignee is None:
            return
        key = Agent.key(case.tenant_id, case.assignee)
        agent = await self.store.agents.get(case.tenant_id, key)
        if agent is not None and agent.holds(case.id):
            agent.release(case.id)
            await self.store.agents.save(agent)
            self.wake_dispatch(case.tenant_id)

    def _correction(
        self,
        case: RoutingCase,
        category: str,
        correction_id: str,
        *,
        kind: str,
        by: str,
        to_queue: str | None = None,
    ) -> Correction:
        triage = case.triage
        assert triage is not None
        return Correction(
            id=correction_id,
            tenant_id=case.tenant_id,
            ticket_id=case.id,
            text=case.text,
            language=triage.language,
            category=category,
            predicted=triage.category,
            urgency=triage.urgency,
            sentiment=triage.sentiment,
            kind=kind,
            by=by,
            from_queue=case.queue,
            to_queue=to_queue,
            at=self.clock.now(),
        )


def register_subscribers(bus: Bus, router: Router) -> None:
    bus.subscriber(events.TicketOpened)(router.ticket_opened)
    bus.subscriber(events.TicketFollowedUp)(router.ticket_followed_up)
    bus.subscriber(events.TicketReopened)(router.ticket_reopened)
    bus.subscriber(events.TicketTransferred)(router.ticket_transferred)
    bus.subscriber(events.TicketResolved)(router.ticket_resolved)
    bus.subscriber(events.TicketStatusChanged)(router.ticket_status_changed)
