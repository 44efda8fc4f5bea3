"""Assembles one service process: store, bus, outbox relay, FastAPI app and lifespan.

Start-up order: indexes, broker topology and consumers (each waited for while unreachable,
``runtime.startup``), relay. Shutdown (on
SIGTERM uvicorn first finishes in-flight HTTP requests): stop consuming and let
in-flight handlers finish, drain the relay, close the store.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry, Gauge
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from contracts.topology import Topology
from runtime.aggregate import Aggregate
from runtime.api_docs import api_docs_router, api_docs_served
from runtime.bus import Bus
from runtime.clock import Clock, SystemClock
from runtime.error_docs import declare_errors
from runtime.headers import SecurityHeaders
from runtime.heap import settle
from runtime.idempotency import IdempotentRequests
from runtime.logging import setup_logging
from runtime.ops import instrument_http, ops_router
from runtime.outbox import OutboxRelay
from runtime.settings import Settings
from runtime.settings_errors import misspelt, source_variable
from runtime.signing import Signer
from runtime.startup import StartupRetry
from runtime.store import Document, Repository, mongo_client
from runtime.store_batches import BatchedCollection
from runtime.store_metrics import BatchSizes, CommandCounter
from runtime.telemetry import CarriedTrace, instrument_requests, records_spans, setup_tracing
from runtime.web import BodySizeLimit, TrailingSlash, install_error_handlers, publish_schemas

log = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)
READINESS_TIMEOUT_S = 2.0
IndexSetup = Callable[[AsyncDatabase[Document]], Awaitable[None]]


class Worker(Protocol):
    """A background loop a service runs besides its consumers (e.g. notify's dispatcher)."""

    def start(self) -> None: ...

    async def stop(self, timeout_s: float) -> None: ...


class ServiceRuntime:
    """The connections and background tasks one service process owns."""

    def __init__(
        self,
        settings: Settings,
        *,
        outbox_collections: Sequence[str],
        clock: Clock | None = None,
        idempotent_writes: bool = False,
    ) -> None:
        """``idempotent_writes``: the service has endpoints that take ``Idempotency-Key``,
        so it keeps their first answers (and creates that collection's index at start)."""
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.topology = Topology(settings.namespace)
        self.registry = CollectorRegistry()
        self.tracer_provider = setup_tracing(settings.service, console=settings.otel_console)
        self.client = mongo_client(
            settings.mongo_url,
            [CommandCounter(self.registry)] if settings.store_command_metrics else [],
        )
        self.db: AsyncDatabase[Document] = self.client[settings.database]
        self.staff_signer = Signer(settings.staff_ring())
        """Staff and gateway tokens."""
        self.link_signer = Signer(settings.link_ring())
        """Travellers' tracking, survey and appeal links."""
        self.bus = Bus(
            settings, self.topology, registry=self.registry, tracer_provider=self.tracer_provider
        )
        self.outbox_collections = tuple(outbox_collections)
        self.relay = OutboxRelay(
            self.db,
            self.outbox_collections,
            self.bus.publish,
            self.clock,
            sweep_interval_s=settings.outbox_sweep_interval_s,
            grace_s=settings.outbox_grace_s,
            workers=settings.outbox_workers,
        )
        Gauge(
            "outbox_backlog",
            "Commits waiting for the broker: queued for the relay's fast path, or overdue "
            "in the outbox at the sweeper's last pass",
            registry=self.registry,
        ).set_function(lambda: self.relay.backlog)
        Gauge(
            "outbox_overdue",
            "Outboxes older than the grace at the sweeper's last pass (the broker is down)",
            registry=self.registry,
        ).set_function(lambda: self.relay.overdue)
        self.idempotency = IdempotentRequests(self.db, self.clock) if idempotent_writes else None
        """First answers to writes carrying ``Idempotency-Key``, in this service's database."""
        self.workers: list[Worker] = []
        self.started = False
        self._batch_sizes = BatchSizes(self.registry)
        self._batches: dict[str, BatchedCollection] = {}

    @property
    def consumer_linger_s(self) -> float:
        """How long a consumed message's store operation may wait to share a command."""
        return self.settings.consumer_linger_ms / 1000

    def batch_observer(self, collection: str, kind: str) -> Callable[[float], None]:
        """Records each shared command's size in ``store_batch_size``."""
        return self._batch_sizes.observer(collection, kind)

    def repository(self, collection: str, model: type[A], *, linger: bool = False) -> Repository[A]:
        """Every repository of one collection shares its loads' and writes' batches. With
        ``linger``, a batch of consumed messages' operations (``Repository.apply``,
        ``upsert``) waits ``consumer_linger_ms`` for company: for collections no
        acknowledgement waits on."""
        batches = self.batched(collection, linger=linger)
        return Repository(self.db, collection, model, self.relay, self.clock, batches=batches)

    def batched(self, collection: str, *, linger: bool = False) -> BatchedCollection:
        """The collection's shared batches (``repository``), for stores of plain documents."""
        batches = self._batches.get(collection)
        if batches is None:
            linger_s = self.consumer_linger_s if linger else 0.0
            batches = self._batches[collection] = BatchedCollection(
                self.db[collection], observers=self._batch_sizes.observer, linger_s=linger_s
            )
        return batches

    async def start(self, ensure_indexes: IndexSetup) -> None:
        """Indexes, then the broker, each retried while unreachable within
        ``startup_retry_s`` (``runtime.startup``); past it ``StartupFailed`` ends the start."""
        retry = StartupRetry(self.settings.startup_retry_s)
        settings = type(self.settings)
        await retry.run(
            "store",
            self.settings.mongo_url,
            lambda: self._create_indexes(ensure_indexes),
            (ConnectionFailure,),
            source_variable(settings, "mongo_url"),
        )
        await retry.run(
            "broker",
            self.settings.amqp_url,
            self.bus.start,
            (OSError, TimeoutError),
            source_variable(settings, "amqp_url"),
        )
        self.relay.start()
        for worker in self.workers:
            worker.start()
        self.started = True
        log.info("%s started", self.settings.service)

    async def _create_indexes(self, ensure_indexes: IndexSetup) -> None:
        for name in self.outbox_collections:
            await self.db[name].create_index("pending_ms", sparse=True)
        if self.idempotency is not None:
            await self.idempotency.ensure_indexes()
        await ensure_indexes(self.db)

    async def stop(self) -> None:
        self.started = False
        grace = self.settings.graceful_timeout_s
        for worker in self.workers:
            await worker.stop(grace)
        await _within(self.bus.stop(), grace, "stop consuming")
        await self.relay.stop()
        await self.client.close()
        log.info("%s stopped", self.settings.service)

    async def readiness(self) -> dict[str, bool]:
        """Store and broker looked at together, each within ``READINESS_TIMEOUT_S``, so a
        store that is gone answers 503 before the probe's own timeout (3 s) does."""
        store, broker = await asyncio.gather(self._store_answers(), self.bus.is_connected())
        return {"started": self.started, "store": store, "broker": broker}

    async def _store_answers(self) -> bool:
        try:
            await asyncio.wait_for(self.db.command("ping"), READINESS_TIMEOUT_S)
        except Exception:
            return False
        return True


async def _within(step: Awaitable[None], seconds: float, what: str) -> None:
    """A broker that stopped answering must not keep a stopping process alive: what it
    left unacknowledged the broker delivers again. (The relay bounds its own drain, and what
    it leaves in the outbox the next process's sweeper publishes.)"""
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError:
        log.error("gave up waiting to %s after %.0f s", what, seconds)


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[APIRouter],
    ensure_indexes: IndexSetup,
    description: str = "",
    larger_bodies: Sequence[tuple[re.Pattern[str], int]] = (),
    schemas: Sequence[type[BaseModel]] = (),
) -> FastAPI:
    """``schemas``: request-body models that routes read themselves and document by reference."""
    settings = runtime.settings
    setup_logging(settings.service, settings.log_level)
    for line in misspelt(type(settings)):
        log.warning(line)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start(ensure_indexes)
        settle(settings.gc_young_threshold)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        lifespan=lifespan,
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    if runtime.idempotency is not None:
        app.state.idempotency = runtime.idempotency
    app.include_router(ops_router(runtime.registry, runtime.readiness))
    if api_docs_served(settings):
        app.include_router(api_docs_router(title, app.openapi_url or "/openapi.json"))
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    publish_schemas(app, schemas)
    declare_errors(app, [route for router in routers for route in router.routes])
    instrument_http(app, runtime.registry)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, larger=larger_bodies)
    app.add_middleware(SecurityHeaders, hsts=not settings.development)
    app.add_middleware(TrailingSlash)
    if records_spans(runtime.tracer_provider):
        instrument_requests(app, runtime.tracer_provider)
    else:
        app.add_middleware(CarriedTrace)
    return app


def serve(app_path: str, settings: Settings, **kwargs: Any) -> None:
    """Run one service with uvicorn (uvloop, no access log on the hot path). Uvicorn's own
    logging configuration is left out (``log_config=None``): its lines, tracebacks of
    requests that failed included, go out through ``runtime.logging`` as JSON, set up here
    already so that a failure to load the app is a JSON line too."""
    import uvicorn

    setup_logging(settings.service, settings.log_level)
    uvicorn.run(
        app_path,
        factory=True,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
        **kwargs,
    )
