"""Bootstrap: wire intake's store, handlers, subscribers and HTTP API into one process."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from prometheus_client import Gauge
from pydantic import Field
from pymongo.asynchronous.database import AsyncDatabase

from runtime.admission import Admission, LagWindow
from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from runtime.staff_session import StaffSession
from runtime.store import Document
from services.intake import api, console, console_store, incidents, store, tracking_page
from services.intake.channels import JSON_PAYLOADS
from services.intake.domain import Ticket
from services.intake.handlers import Intake, ThreadingPolicy, register_subscribers
from services.intake.live_feed import LiveFeed, subscribe_feed
from services.intake.routing_reader import RoutingReader


class IntakeSettings(Settings):
    service: str = "intake"
    port: int = 8001
    reopen_window_h: float = Field(
        default=168, gt=0, description="A follow-up within this reopens a resolved ticket."
    )
    reference_window_h: float = Field(
        default=72, gt=0, description="Same traveller + booking reference within this threads."
    )
    console_routing_url: str = Field(
        default="http://127.0.0.1:8002", description="Routing's API, read by the agent console."
    )


def bootstrap(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(settings, outbox_collections=[store.TICKETS])
    tickets = store.TicketStore(runtime.repository(store.TICKETS, Ticket))
    policy = ThreadingPolicy(
        reopen_window=timedelta(hours=settings.reopen_window_h),
        reference_window=timedelta(hours=settings.reference_window_h),
    )
    intake = Intake(tickets, runtime.clock, runtime.signer, settings.base_url, policy)
    idempotency = IdempotentRequests(runtime.db, runtime.clock)
    keys = store.GatewayKeys(runtime.db, runtime.clock)
    acknowledgements = LagWindow()
    Gauge(
        "acknowledgement_lag_seconds",
        "Median contact → acknowledgement lag of the last 5 s",
        registry=runtime.registry,
    ).set_function(acknowledgements.median)
    admission = Admission(
        settings.ingress_max_in_flight,
        registry=runtime.registry,
        backlog=lambda: runtime.relay.backlog,
        max_backlog=settings.ingress_max_outbox_backlog,
        lag=acknowledgements.median if settings.ingress_max_ack_lag_s else None,
        max_lag_s=settings.ingress_max_ack_lag_s,
    )
    register_subscribers(runtime.bus, intake, acknowledgements)
    desk = incidents.IncidentDesk(intake)
    incidents.register_incident_subscribers(runtime.bus, desk)
    feed = LiveFeed()
    subscribe_feed(runtime.bus, feed, console_store.applied(tickets))
    session = StaffSession(
        runtime.signer, runtime.clock, dev_login=settings.dev_login, home="/console"
    )
    pages = [
        session.router(),
        console.router(intake, session, feed, RoutingReader(settings.console_routing_url), desk),
        tracking_page.router(intake),
    ]

    async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
        await store.ensure_indexes(db)
        await incidents.ensure_indexes(db)
        await idempotency.ensure_indexes()
        await tickets.index_history()

    return create_app(
        runtime,
        title="TripCare intake",
        description="Contacts become tickets: channels, threading, the ticket lifecycle, "
        "tracking and agent actions. Staff endpoints take `Authorization: Bearer <token>` "
        "(issue one with `python -m runtime.auth`); gateways take `X-Api-Key`.",
        routers=[
            api.router(intake, keys, idempotency, RateLimiter(), admission),
            incidents.incident_router(desk, idempotency),
            *pages,
        ],
        ensure_indexes=ensure_indexes,
        schemas=list(JSON_PAYLOADS.values()),
    )


if __name__ == "__main__":
    serve("services.intake.main:bootstrap", IntakeSettings())
