"""Bootstrap: wire feedback's store, subscribers, archiver and HTTP API into one process."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from runtime.staff_session import StaffSession
from services.feedback import api, dashboard, store
from services.feedback.config import FeedbackSettings
from services.feedback.domain import Appeal, Survey, TicketFacts, TravellerPulse
from services.feedback.handlers import Archiver, Feedback, register_subscribers
from services.feedback.incidents_reader import IncidentsReader
from services.feedback.pages import Pages


def bootstrap(settings: Settings | None = None, config: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or Settings(service="feedback")
    config = config or FeedbackSettings()
    runtime = ServiceRuntime(settings, outbox_collections=[store.SURVEYS, store.APPEALS])
    feedback = Feedback(
        surveys=runtime.repository(store.SURVEYS, Survey),
        facts=runtime.repository(store.FACTS, TicketFacts),
        appeals=runtime.repository(store.APPEALS, Appeal),
        pulses=runtime.repository(store.PULSES, TravellerPulse),
        clock=runtime.clock,
        signer=runtime.link_signer,
        public_url=settings.base_url,
        settings=config,
    )
    register_subscribers(runtime.bus, feedback)
    runtime.workers.append(Archiver(feedback, config.archive_interval))
    session = StaffSession(
        runtime.staff_signer,
        runtime.clock,
        dev_login=settings.dev_login,
        home="/dashboard",
        secure=not settings.development,
    )
    return create_app(
        runtime,
        title="TripCare feedback",
        description="Surveys and appeals for travellers (signed links, HTML or JSON); "
        "metrics, CSV and monthly reports for managers (`Authorization: Bearer <token>`).",
        routers=[
            api.router(feedback, Pages()),
            session.router(),
            dashboard.router(feedback, session, IncidentsReader(config.routing_url)),
        ],
        ensure_indexes=store.ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.feedback.main:bootstrap", Settings(service="feedback"))
