"""Bookings over HTTP (#18): a tenant's admin (the booking system's token) upserts or cancels
a booking — the same use case as ``booking.upserted`` / ``booking.cancelled`` on the bus,
idempotent on the booking and its ``updated_at``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts import events
from contracts.envelope import Envelope
from contracts.events import BookingSegment, Channel, Traveller
from contracts.events.suppliers import MAX_SEGMENTS
from contracts.text import Instant
from runtime.auth import AdminScope, StaffScope
from runtime.errors import StrictJsonRoute, body_invalid
from runtime.store import NotFound
from services.routing.api.deps import CareDep
from services.routing.api.models import CREATED
from services.routing.care.domain.trips import Trip
from services.routing.care.service import ProactiveCare

BOOKING = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
B = TypeVar("B", events.BookingUpserted, events.BookingCancelled)

router = APIRouter(prefix="/v1", tags=["trips"], route_class=StrictJsonRoute)


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traveller: Traveller
    channel: Channel = Field(description="Where the traveller is reached about this trip.")
    segments: list[BookingSegment] = Field(max_length=MAX_SEGMENTS)
    updated_at: Instant | None = Field(
        default=None,
        description="The booking system's version time, at most 5 minutes ahead of routing's "
        "clock; default: now.",
    )


class BookingView(BaseModel):
    booking_id: str
    traveller_id: str
    status: str
    segments: list[dict[str, object]]
    updated_at: datetime | None


def booking_view(trip: Trip) -> BookingView:
    return BookingView(
        booking_id=trip.booking_id,
        traveller_id=trip.traveller.id,
        status=trip.status,
        segments=[s.model_dump(mode="json") for s in trip.segments],
        updated_at=trip.updated_at,
    )


@router.put("/bookings/{booking_id}", responses=CREATED)
async def put_booking(
    booking_id: Annotated[str, Path(pattern=BOOKING)],
    body: BookingIn,
    scope: AdminScope,
    response: Response,
    care: CareDep,
) -> BookingView:
    """Create or replace a booking (the booking system's HTTP path; the bus carries
    ``booking.upserted``). An older ``updated_at`` than the stored one changes nothing; one
    more than 5 minutes ahead of routing's clock, a segment of an unknown kind or ending
    before it starts is a 422 and nothing is written."""
    booking = events.BookingUpserted(
        booking_id=booking_id,
        traveller=body.traveller,
        channel=body.channel,
        segments=body.segments,
        updated_at=body.updated_at or care.clock.now(),
    )
    key = Trip.key(scope.tenant, booking_id)
    new = await care.store.trips.get(scope.tenant, key) is None
    try:
        await care.booking_upserted(_envelope(scope.tenant, booking, booking.updated_at))
    except ValidationError as exc:
        raise body_invalid(exc) from exc
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return await load(care, scope.tenant, booking_id)


@router.delete("/bookings/{booking_id}")
async def cancel_booking(booking_id: str, scope: AdminScope, care: CareDep) -> BookingView:
    """The whole booking is cancelled: its segments no longer put anyone on board."""
    if await care.store.trips.get(scope.tenant, Trip.key(scope.tenant, booking_id)) is None:
        raise NotFound(booking_id)
    now = care.clock.now()
    cancelled = events.BookingCancelled(booking_id=booking_id, cancelled_at=now)
    await care.booking_cancelled(_envelope(scope.tenant, cancelled, now))
    return await load(care, scope.tenant, booking_id)


@router.get("/bookings/{booking_id}")
async def get_booking(booking_id: str, scope: StaffScope, care: CareDep) -> BookingView:
    return await load(care, scope.tenant, booking_id)


async def load(care: ProactiveCare, tenant_id: str, booking_id: str) -> BookingView:
    trip = await care.store.trips.get(tenant_id, Trip.key(tenant_id, booking_id))
    if trip is None:
        raise NotFound(booking_id)
    return booking_view(trip)


def _envelope(tenant_id: str, event: B, version: datetime) -> Envelope[B]:
    """The request as the bus would carry it; its id is the booking's version, so a repeated
    request is recognised and applied once."""
    booking_id = event.booking_id
    raw = f"{tenant_id}\x1f{event.schema_name}\x1f{booking_id}\x1f{version.isoformat()}"
    return Envelope[B](
        message_id="http-" + hashlib.sha256(raw.encode()).hexdigest()[:32],
        correlation_id=booking_id,
        tenant_id=tenant_id,
        occurred_at=version,
        schema_name=event.schema_name,
        schema_version=event.schema_version,
        payload=event,
    )
