"""Bootstrap: settings, runtime, stores, use cases; then routers, subscribers and the archiver."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings, from_environment
from runtime.staff_session import StaffSession
from services.feedback import api, store, subscribers
from services.feedback.archiver import Archiver
from services.feedback.config import FeedbackSettings
from services.feedback.domain.appeals import Appeal
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.surveys import Survey
from services.feedback.domain.traveller_pulse import TravellerPulse
from services.feedback.incidents_reader import IncidentsReader
from services.feedback.pages import dashboard
from services.feedback.pages.traveller import Pages
from services.feedback.service import Feedback


def bootstrap(settings: Settings | None = None) -> FastAPI:
    """``settings``: feedback's, or plain ``Settings`` whose values are kept (tools, tests)."""
    config = FeedbackSettings.of(settings)
    runtime = ServiceRuntime(config, outbox_collections=[store.SURVEYS, store.APPEALS])
    feedback = Feedback(
        surveys=runtime.repository(store.SURVEYS, Survey),
        facts=runtime.repository(store.FACTS, TicketFacts, linger=True),
        appeals=runtime.repository(store.APPEALS, Appeal),
        pulses=runtime.repository(store.PULSES, TravellerPulse, linger=True),
        clock=runtime.clock,
        signer=runtime.link_signer,
        public_url=config.base_url,
        settings=config,
    )
    runtime.bus.broker.context.set_global("feedback", feedback)
    subscribers.register(runtime.bus)
    runtime.workers.append(Archiver(feedback, config.archive_interval))
    session = StaffSession(
        runtime.staff_signer,
        runtime.clock,
        dev_login=config.dev_login,
        home="/dashboard",
        secure=not config.development,
    )
    app = create_app(
        runtime,
        title="TripCare feedback",
        description="Surveys and appeals for travellers (signed links, HTML or JSON); "
        "metrics, CSV and monthly reports for managers (`Authorization: Bearer <token>`).",
        routers=[*api.ROUTERS, session.router(), dashboard.router],
        ensure_indexes=store.ensure_indexes,
    )
    app.state.feedback = feedback
    app.state.pages = Pages()
    app.state.staff_pages = dashboard.staff_pages(session)
    app.state.incidents = IncidentsReader(config.routing_url)
    return app


if __name__ == "__main__":
    serve("services.feedback.main:bootstrap", from_environment(FeedbackSettings))
