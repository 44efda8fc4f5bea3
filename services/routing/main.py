"""Bootstrap: wire routing's store, models, subscribers and HTTP API into one process.

The triage model is loaded and the seeded articles embedded once, at start-up,
before the consumers start (a few seconds); ``/readyz`` answers 200 after that.
"""

from __future__ import annotations

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from runtime.cache import TenantMemo
from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from runtime.store import Document
from services.routing import api, care_store, sla_store, store
from services.routing.care import SupplierEventIn, build_care, register_care_subscribers
from services.routing.dispatch import Dispatch, Dispatcher, DispatchSettings
from services.routing.domain import Agent, RoutingCase, RoutingPolicy, TenantQueue
from services.routing.handlers import register_subscribers
from services.routing.kb.articles import (
    Article,
    E5Embedder,
    KnowledgeBase,
    load_seed,
    load_threshold,
)
from services.routing.scheduler import SlaScheduler, SlaSettings
from services.routing.sla_router import SlaRouter, register_sla_subscribers


def bootstrap(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service="routing")
    runtime = ServiceRuntime(
        settings, outbox_collections=[store.CASES, *care_store.OUTBOX_COLLECTIONS]
    )
    memo = TenantMemo(settings.config_cache_s)
    routing_store = store.RoutingStore(
        runtime.db,
        cases=runtime.repository(store.CASES, RoutingCase),
        agents=runtime.repository(store.AGENTS, Agent),
        queues=runtime.repository(store.QUEUES, TenantQueue),
        policies=runtime.repository(store.POLICIES, RoutingPolicy),
        memo=memo,
    )
    articles = runtime.repository(store.ARTICLES, Article)
    kb = KnowledgeBase(articles.collection, E5Embedder(), load_seed(), memo)
    care = build_care(runtime)
    slas = sla_store.SlaStore(runtime.db, memo)
    router = SlaRouter(
        routing_store, slas, kb, runtime.clock, threshold=load_threshold(), care=care
    )
    register_subscribers(runtime.bus, router)
    register_sla_subscribers(runtime.bus, router)
    dispatcher = Dispatcher(Dispatch(routing_store, runtime.clock), DispatchSettings())
    router.wake_dispatch = dispatcher.wake
    runtime.workers.append(dispatcher)
    runtime.workers.append(
        SlaScheduler(slas, router, runtime.clock, SlaSettings(), runtime.registry)
    )
    register_care_subscribers(runtime.bus, care)

    async def start_up(db: AsyncDatabase[Document]) -> None:
        await store.ensure_indexes(db)
        await care_store.ensure_indexes(db)
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
    serve("services.routing.main:bootstrap", Settings(service="routing"))
