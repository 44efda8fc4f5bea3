"""Bootstrap: wire feedback's store, subscribers and HTTP API into one process."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from services.feedback import api, store
from services.feedback.domain import Survey, TicketFacts
from services.feedback.handlers import Feedback, register_subscribers


def bootstrap(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service="feedback")
    runtime = ServiceRuntime(settings, outbox_collections=[store.SURVEYS, store.FACTS])
    feedback = Feedback(
        runtime.repository(store.SURVEYS, Survey),
        runtime.repository(store.FACTS, TicketFacts),
        runtime.clock,
        runtime.signer,
        settings.base_url,
    )
    register_subscribers(runtime.bus, feedback)
    return create_app(
        runtime,
        title="TripCare feedback",
        description="Surveys after resolution, ratings, and the desk's metrics.",
        routers=[api.router(feedback)],
        ensure_indexes=store.ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.feedback.main:bootstrap", Settings(service="feedback"))
