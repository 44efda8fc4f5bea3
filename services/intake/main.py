"""Bootstrap: settings, runtime, stores, use cases; then subscribers, workers, routers and pages."""

from __future__ import annotations

import re

from fastapi import FastAPI
from prometheus_client import Gauge
from pymongo.asynchronous.database import AsyncDatabase

from runtime.admission import Admission, LagWindow, Reason, Shedder
from runtime.lag_reports import hear_lag_reports
from runtime.nonces import NonceStore
from runtime.ratelimit import RateLimiter
from runtime.secret_box import SecretBox
from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import from_environment
from runtime.staff_session import StaffSession
from runtime.store import Document
from services.intake import api, console_store, incidents, store, subscribers
from services.intake.attachment_store import AttachmentStore, AttachmentSweeper
from services.intake.attachments import FILE_CHANNELS, AttachmentPolicy, upload_body_max
from services.intake.channel_config import CALLBACK_NONCES, ChannelConfigs
from services.intake.channels import JSON_PAYLOADS
from services.intake.config import IntakeSettings
from services.intake.domain import Ticket
from services.intake.live_feed import LiveFeed, subscribe_feed
from services.intake.mailbox import Mailboxes
from services.intake.mailbox_reader import MailboxReader
from services.intake.notify_reader import TIMEOUT_S as NOTIFY_TIMEOUT_S
from services.intake.notify_reader import NotifyReader
from services.intake.pages import console, tracking
from services.intake.routing_reader import RoutingReader
from services.intake.service import Intake

DESCRIPTION = (
    "Contacts become tickets: channels, threading, the ticket lifecycle, "
    "tracking and agent actions. Staff endpoints take `Authorization: Bearer <token>` "
    "(issue one with `python -m runtime.auth`); gateways take `X-Api-Key`."
)


def build_intake(
    runtime: ServiceRuntime, settings: IntakeSettings, files: AttachmentStore
) -> Intake:
    """The use cases on intake's tickets and attachments."""
    tickets = store.TicketStore(
        runtime.repository(store.TICKETS, Ticket, linger=True), runtime.batch_observer
    )
    return Intake(
        tickets,
        runtime.clock,
        runtime.link_signer,
        settings.base_url,
        settings.threading,
        settings.mail_domain,
        files,
        settings.attachments,
    )


def bootstrap(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(settings, outbox_collections=[store.TICKETS], idempotent_writes=True)
    files = AttachmentStore(runtime.db, runtime.clock)
    intake = build_intake(runtime, settings, files)
    tickets = intake.tickets
    box = SecretBox(settings.secrets_box_key())
    mailboxes = Mailboxes(
        runtime.db, runtime.clock, box, allow_private_hosts=settings.mailbox_allow_private_hosts
    )
    runtime.workers.append(AttachmentSweeper(files, settings.attachment_sweep_grace))
    runtime.workers.append(MailboxReader(mailboxes, intake, settings.mailbox_scan_s))
    subscribers.register(runtime.bus, intake)
    desk = incidents.IncidentDesk(intake)
    subscribers.register_incidents(runtime.bus, desk)
    feed = LiveFeed()
    runtime.workers.append(subscribe_feed(runtime.bus, feed, console_store.applied(tickets)))
    session = StaffSession(
        runtime.staff_signer,
        runtime.clock,
        dev_login=settings.dev_login,
        home="/console",
        secure=not settings.development,
    )
    nonces = NonceStore(runtime.db[CALLBACK_NONCES])

    async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
        await store.ensure_indexes(db)
        await incidents.ensure_indexes(db)
        await files.ensure_indexes()
        await nonces.ensure_index()
        await tickets.index_history()

    app = create_app(
        runtime,
        title="TripCare intake",
        description=DESCRIPTION,
        routers=[*api.ROUTERS, session.router(), console.router, *tracking.ROUTERS],
        ensure_indexes=ensure_indexes,
        larger_bodies=upload_limits(settings.attachments, settings.max_body_bytes),
        schemas=list(JSON_PAYLOADS.values()),
    )
    app.state.intake, app.state.incident_desk = intake, desk
    app.state.keys = store.GatewayKeys(
        runtime.db, runtime.clock, runtime.batch_observer, cache_s=settings.gateway_key_cache_s
    )
    app.state.limiter = RateLimiter()
    app.state.admission = admission(runtime, settings)
    app.state.mailboxes = mailboxes
    app.state.channel_configs = ChannelConfigs(runtime.db, runtime.clock, box)
    app.state.callback_nonces = nonces
    app.state.gateway_token_ttl_s = settings.gateway_token_ttl_s
    app.state.routing = RoutingReader(settings.console_routing_url)
    app.state.notify = NotifyReader(settings.notify_url, NOTIFY_TIMEOUT_S)
    app.state.console = console.Console(
        intake, session, feed, app.state.routing, desk, app.state.notify
    )
    return app


def admission(runtime: ServiceRuntime, settings: IntakeSettings) -> Admission:
    """Ingress admission: in-flight requests, the outbox's backlog and, when set, shares
    steered by the contact → acknowledgement lag notify reports and by the requests' age
    at the door (exported as gauges) bound what intake takes in."""
    acknowledgements = LagWindow()
    hear_lag_reports(runtime.bus, acknowledgements, runtime.clock)
    Gauge(
        "acknowledgement_lag_seconds",
        "Median wait of the last 2 s from a contact to notify taking up its acknowledgement",
        registry=runtime.registry,
    ).set_function(acknowledgements.median)
    target = settings.ingress_max_ack_lag_s
    lag_shedder = Shedder(acknowledgements.median, target) if target else None
    Gauge(
        "admission_shed_share",
        "Share of contact requests refused for the acknowledgement lag",
        registry=runtime.registry,
    ).set_function(lambda: lag_shedder.share if lag_shedder else 0.0)
    ages = LagWindow() if settings.ingress_max_request_age_s else None
    Gauge(
        "request_age_seconds",
        "Median wait of the last 2 s before intake read a contact request (X-Request-Start)",
        registry=runtime.registry,
    ).set_function(ages.median if ages else lambda: 0.0)
    shedders = {Reason.ACKNOWLEDGEMENT_LAG: lag_shedder} if lag_shedder else {}
    if ages is not None:
        shedders[Reason.REQUEST_AGE] = Shedder(ages.median, settings.ingress_max_request_age_s)
    return Admission(
        settings.ingress_max_in_flight,
        registry=runtime.registry,
        backlog=lambda: runtime.relay.backlog,
        max_backlog=settings.ingress_max_outbox_backlog,
        shedders=shedders,
        ages=ages,
    )


def upload_limits(policy: AttachmentPolicy, base: int) -> list[tuple[re.Pattern[str], int]]:
    """E-mail, in-app contacts and replies may carry files: their bodies may hold the files'
    total, base64 or MIME encoded (a third larger), on top of the usual limit.
    """
    size = upload_body_max(policy, base)
    channels = "|".join(sorted(channel.value for channel in FILE_CHANNELS))
    paths = (
        rf"/v1/channels/({channels})/contacts$",
        r"/v1/tickets/[^/]+/reply$",
        r"/console/tickets/[^/]+/reply$",
    )
    return [(re.compile(path), size) for path in paths]


if __name__ == "__main__":
    serve("services.intake.main:bootstrap", from_environment(IntakeSettings))
