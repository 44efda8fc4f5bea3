"""Bootstrap: wire notify's store, renderer, subscribers and HTTP API into one process."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from services.notify import api, store
from services.notify.domain import Delivery
from services.notify.handlers import Notifier, register_subscribers
from services.notify.render import Renderer


def bootstrap(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service="notify")
    runtime = ServiceRuntime(settings, outbox_collections=[store.DELIVERIES])
    notifier = Notifier(runtime.repository(store.DELIVERIES, Delivery), Renderer(), runtime.clock)
    register_subscribers(runtime.bus, notifier)
    return create_app(
        runtime,
        title="TripCare notify",
        description="In-app inbox and delivery log; every step told to the traveller once.",
        routers=[api.router(notifier)],
        ensure_indexes=store.ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.notify.main:bootstrap", Settings(service="notify"))
