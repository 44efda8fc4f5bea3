"""Bootstrap: wire intake's store, handlers, subscribers and HTTP API into one process."""

from __future__ import annotations

import re

from fastapi import FastAPI
from prometheus_client import Gauge
from pymongo.asynchronous.database import AsyncDatabase

from runtime.admission import Admission, LagWindow
from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from runtime.secret_box import SecretBox
from runtime.service import ServiceRuntime, create_app, serve
from runtime.staff_session import StaffSession
from runtime.store import Document
from services.intake import (
    api,
    attachments_api,
    callbacks,
    channel_config,
    console,
    console_store,
    gateway_api,
    incidents,
    mailbox_api,
    store,
    subscribers,
    tracking_page,
)
from services.intake.attachment_store import AttachmentStore, AttachmentSweeper
from services.intake.attachments import AttachmentPolicy
from services.intake.channel_config import ChannelConfigs
from services.intake.channels import JSON_PAYLOADS
from services.intake.config import IntakeSettings
from services.intake.domain import Ticket
from services.intake.live_feed import LiveFeed, subscribe_feed
from services.intake.mailbox import Mailboxes, MailboxReader
from services.intake.routing_reader import RoutingReader
from services.intake.service import Intake


def bootstrap(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = ServiceRuntime(settings, outbox_collections=[store.TICKETS])
    tickets = store.TicketStore(runtime.repository(store.TICKETS, Ticket))
    policy = settings.threading
    files = AttachmentStore(runtime.db, runtime.clock)
    file_policy = settings.attachments
    intake = Intake(
        tickets,
        runtime.clock,
        runtime.link_signer,
        settings.base_url,
        policy,
        settings.mail_domain,
        files,
        file_policy,
    )
    runtime.workers.append(AttachmentSweeper(files, settings.attachment_sweep_grace))
    box = SecretBox(settings.secrets_box_key())
    mailboxes = Mailboxes(runtime.db, runtime.clock, box)
    channel_configs = ChannelConfigs(runtime.db, runtime.clock, box)
    runtime.workers.append(MailboxReader(mailboxes, intake, settings.mailbox_scan_s))
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
    subscribers.register(runtime.bus, intake, acknowledgements)
    desk = incidents.IncidentDesk(intake)
    subscribers.register_incidents(runtime.bus, desk)
    feed = LiveFeed()
    subscribe_feed(runtime.bus, feed, console_store.applied(tickets))
    session = StaffSession(
        runtime.staff_signer,
        runtime.clock,
        dev_login=settings.dev_login,
        home="/console",
        secure=not settings.development,
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
        await files.ensure_indexes()
        await tickets.index_history()

    return create_app(
        runtime,
        title="TripCare intake",
        description="Contacts become tickets: channels, threading, the ticket lifecycle, "
        "tracking and agent actions. Staff endpoints take `Authorization: Bearer <token>` "
        "(issue one with `python -m runtime.auth`); gateways take `X-Api-Key`.",
        routers=[
            api.router(intake, keys, idempotency, RateLimiter(), admission),
            gateway_api.router(
                keys, runtime.staff_signer, runtime.clock, settings.gateway_token_ttl_s
            ),
            incidents.incident_router(desk, idempotency),
            attachments_api.router(intake),
            mailbox_api.router(mailboxes),
            channel_config.router(channel_configs),
            callbacks.router(intake, channel_configs),
            *pages,
        ],
        ensure_indexes=ensure_indexes,
        larger_bodies=upload_limits(file_policy, settings.max_body_bytes),
        schemas=list(JSON_PAYLOADS.values()),
    )


def upload_limits(policy: AttachmentPolicy, base: int) -> list[tuple[re.Pattern[str], int]]:
    """E-mail, in-app contacts and replies may carry files: their bodies may hold the files'
    total, base64 or MIME encoded (a third larger), on top of the usual limit.
    """
    size = base + policy.max_total_bytes * 4 // 3 + 64 * 1024
    paths = (
        r"/v1/channels/(email|in_app)/contacts$",
        r"/v1/tickets/[^/]+/reply$",
        r"/console/tickets/[^/]+/reply$",
    )
    return [(re.compile(path), size) for path in paths]


if __name__ == "__main__":
    serve("services.intake.main:bootstrap", IntakeSettings())
