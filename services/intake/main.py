"""Bootstrap: wire intake's store, handlers, subscribers and HTTP API into one process."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from services.intake import api, store
from services.intake.domain import Ticket
from services.intake.handlers import Intake, register_subscribers


def bootstrap(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service="intake")
    runtime = ServiceRuntime(settings, outbox_collections=[store.TICKETS])
    intake = Intake(
        runtime.repository(store.TICKETS, Ticket),
        runtime.clock,
        runtime.signer,
        settings.base_url,
    )
    register_subscribers(runtime.bus, intake)
    return create_app(
        runtime,
        title="TripCare intake",
        description="Contacts become tickets: acknowledgement, timeline, tracking, agent actions.",
        routers=[api.router(intake)],
        ensure_indexes=store.ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.intake.main:bootstrap", Settings(service="intake"))
