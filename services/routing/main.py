"""Bootstrap: wire routing's store, subscribers and HTTP API into one process."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from services.routing import api, store
from services.routing.domain import RoutingCase
from services.routing.handlers import register_subscribers


def bootstrap(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service="routing")
    runtime = ServiceRuntime(settings, outbox_collections=[store.CASES])
    cases = runtime.repository(store.CASES, RoutingCase)
    register_subscribers(runtime.bus, cases, runtime.clock)
    return create_app(
        runtime,
        title="TripCare routing",
        description="Queue, priority and SLA deadlines for every ticket.",
        routers=[api.router(cases)],
        ensure_indexes=store.ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.routing.main:bootstrap", Settings(service="routing"))
