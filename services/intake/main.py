"""Bootstrap: wire intake's store, handlers, subscribers and HTTP API into one process."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field
from pymongo.asynchronous.database import AsyncDatabase

from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from runtime.service import ServiceRuntime, create_app, serve
from runtime.settings import Settings
from runtime.store import Document
from services.intake import api, store
from services.intake.domain import Ticket
from services.intake.handlers import Intake, ThreadingPolicy, register_subscribers


class IntakeSettings(Settings):
    service: str = "intake"
    port: int = 8001
    reopen_window_h: float = Field(
        default=168, gt=0, description="A follow-up within this reopens a resolved ticket."
    )
    reference_window_h: float = Field(
        default=72, gt=0, description="Same traveller + booking reference within this threads."
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
    register_subscribers(runtime.bus, intake)

    async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
        await store.ensure_indexes(db)
        await idempotency.ensure_indexes()

    return create_app(
        runtime,
        title="TripCare intake",
        description="Contacts become tickets: channels, threading, the ticket lifecycle, "
        "tracking and agent actions. Staff endpoints take `Authorization: Bearer <token>` "
        "(issue one with `python -m runtime.auth`); gateways take `X-Api-Key`.",
        routers=[api.router(intake, keys, idempotency, RateLimiter())],
        ensure_indexes=ensure_indexes,
    )


if __name__ == "__main__":
    serve("services.intake.main:bootstrap", IntakeSettings())
