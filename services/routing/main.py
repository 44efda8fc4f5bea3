"""Bootstrap: wire routing's store, models, subscribers and HTTP API into one process.

The triage model is loaded and the seeded articles embedded once, at start-up,
before the consumers start (a few seconds); ``/readyz`` answers 200 after that.
"""

from __future__ import annotations

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from runtime.cache import TenantMemo
from runtime.clock import Clock
from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings, from_environment
from runtime.store import Document
from services.routing import api, store, subscribers
from services.routing.assignment.dispatch import Dispatch, Dispatcher, DispatchSettings
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import TenantQueue
from services.routing.assignment.reconcile import SlotReconciler
from services.routing.assignment.slots import AgentSlots
from services.routing.care import store as care_store
from services.routing.care.domain.incidents import AffectedTraveller, Disruption, TenantIncident
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.domain.suppliers import SupplierReport, SupplierSettings
from services.routing.care.domain.trips import Trip
from services.routing.care.ingress import SupplierEventIn
from services.routing.care.key_pruner import KeyPruner
from services.routing.care.partners import PartnerSecrets
from services.routing.care.service import ProactiveCare
from services.routing.config import RoutingSettings
from services.routing.domain.case import RoutingCase
from services.routing.kb.articles import (
    Article,
    E5Embedder,
    KnowledgeBase,
    embedding_thread,
    load_seed,
    load_threshold,
)
from services.routing.service import Router
from services.routing.sla import store as sla_store
from services.routing.sla.scheduler import SlaScheduler
from services.routing.sla.service import SlaClocks


def build_router(
    routing: store.RoutingStore,
    slas: sla_store.SlaStore,
    kb: KnowledgeBase,
    clock: Clock,
    *,
    threshold: float,
    care: ProactiveCare | None = None,
) -> Router:
    """The router with its SLA clocks: both reserve agents through the same slots."""
    slots = AgentSlots(routing, clock)
    clocks = SlaClocks(slas, routing, slots, clock, care=care)
    return Router(routing, kb, clock, threshold=threshold, care=care, clocks=clocks, slots=slots)


def build_care(runtime: ServiceRuntime, settings: SupplierSettings) -> ProactiveCare:
    """Proactive care's repositories on routing's database, and the pruner of its keys."""
    care = care_store.CareStore(
        runtime.db,
        trips=runtime.repository(care_store.TRIPS, Trip),
        disruptions=runtime.repository(care_store.DISRUPTIONS, Disruption),
        incidents=runtime.repository(care_store.INCIDENTS, TenantIncident),
        affected=runtime.repository(care_store.AFFECTED, AffectedTraveller),
        linger_s=runtime.consumer_linger_s,
        observers=runtime.batch_observer,
    )
    reports = runtime.repository(care_store.SUPPLIER_REPORTS, SupplierReport)
    partners = PartnerSecrets(
        runtime.repository(care_store.PARTNERS, PartnerRegistration), settings
    )
    runtime.workers.append(KeyPruner(care, runtime.clock))
    return ProactiveCare(care, reports, runtime.clock, settings, partners)


def build_dispatcher(
    routing: store.RoutingStore, clock: Clock, settings: DispatchSettings
) -> Dispatcher:
    """Push assignment, whose sweep also gives back the slots no case gives their agent."""
    reconciler = SlotReconciler(
        routing, clock, grace_s=settings.slot_grace_s, checks=settings.slot_checks
    )
    return Dispatcher(Dispatch(routing, clock), settings, reconciler)


def bootstrap(shared: Settings | None = None) -> FastAPI:
    settings = RoutingSettings.of(shared)
    outboxes = [store.CASES, *care_store.OUTBOX_COLLECTIONS]
    runtime = ServiceRuntime(settings, outbox_collections=outboxes, idempotent_writes=True)
    memo = TenantMemo(settings.config_cache_s)
    routing_store = store.RoutingStore(
        runtime.db,
        cases=runtime.repository(store.CASES, RoutingCase, linger=True),
        agents=runtime.repository(store.AGENTS, Agent),
        queues=runtime.repository(store.QUEUES, TenantQueue),
        policies=runtime.repository(store.POLICIES, RoutingPolicy),
        memo=memo,
    )
    articles = runtime.repository(store.ARTICLES, Article)
    kb = KnowledgeBase(
        articles.collection,
        E5Embedder(),
        load_seed(),
        memo,
        thread=embedding_thread(settings.kb_embed_nice),
    )
    care = build_care(runtime, settings.suppliers)
    slas = sla_store.SlaStore(
        runtime.db, memo, linger_s=runtime.consumer_linger_s, observers=runtime.batch_observer
    )
    router = build_router(
        routing_store, slas, kb, runtime.clock, threshold=load_threshold(), care=care
    )
    subscribers.register(runtime.bus, router)
    subscribers.register_care(runtime.bus, care)
    dispatcher = build_dispatcher(routing_store, runtime.clock, settings.dispatch)
    router.wake_dispatch = dispatcher.wake
    runtime.workers.append(dispatcher)
    runtime.workers.append(
        SlaScheduler(slas, router, runtime.clock, settings.sla, runtime.registry)
    )

    async def start_up(db: AsyncDatabase[Document]) -> None:
        await store.ensure_indexes(db)
        await care_store.ensure_indexes(db)
        await care.store.index_history(runtime.clock.now())
        await sla_store.ensure_indexes(db)
        await router.start()

    app = create_app(
        runtime,
        title="TripCare routing",
        description="Reads every ticket (language, category, urgency, sentiment), answers "
        "standard questions from the knowledge base, otherwise picks the queue, the agent, the "
        "priority and the SLA deadlines, and explains each decision. Staff endpoints take "
        "`Authorization: Bearer <token>`.",
        routers=api.ROUTERS,
        ensure_indexes=start_up,
        schemas=[SupplierEventIn],
    )
    app.state.routing, app.state.kb, app.state.articles = router, kb, articles
    app.state.care, app.state.memo = care, memo
    app.state.sla_policies = runtime.repository(sla_store.SLA_POLICIES, sla_store.TenantSlaPolicy)
    return app


if __name__ == "__main__":
    serve("services.routing.main:bootstrap", from_environment(RoutingSettings))
