"""Admin API for supplier partners' webhook secrets and the booking system's bookings (#18).

- ``/v1/partners``: the operator's admins (``TRIPCARE_SUPPLIER_OPERATOR_TENANT``) register
  and rotate a partner's secrets without a restart (``services.routing.partners``). A
  secret is shown once, in the answer that creates it.
- ``/v1/bookings/{booking_id}``: a tenant's admin (the booking system's token) upserts or
  cancels a booking over HTTP — the same use case as ``booking.upserted`` /
  ``booking.cancelled`` on the bus, idempotent on the booking and its ``updated_at``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field

from contracts import events
from contracts.envelope import Envelope
from contracts.events import BookingSegment, Channel, Traveller
from contracts.text import Instant
from runtime.auth import AdminScope, StaffScope
from runtime.errors import StrictJsonRoute
from runtime.store import AlreadyExists, ConcurrencyError, NotFound
from services.routing.care.domain.partners import (
    PartnerRegistration,
    TooManySecrets,
    UnknownSecret,
    fingerprint,
)
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.domain.trips import Trip
from services.routing.care.service import ProactiveCare

PARTNER = r"^[a-z0-9][a-z0-9_-]{0,63}$"
BOOKING = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
WRITE_RETRIES = 10
B = TypeVar("B", events.BookingUpserted, events.BookingCancelled)


class SecretView(BaseModel):
    id: str
    fingerprint: str = Field(description="First 12 hex digits of the secret's SHA-256.")
    created_at: datetime | None
    created_by: str
    source: Literal["store", "environment"]


class PartnerView(BaseModel):
    partner: str
    secrets: list[SecretView] = Field(description="Active secrets; never the secrets themselves.")


class SecretCreated(SecretView):
    partner: str
    secret: str = Field(description="Shown once: store it with the partner now.")


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traveller: Traveller
    channel: Channel = Field(description="Where the traveller is reached about this trip.")
    segments: list[BookingSegment] = Field(max_length=50)
    updated_at: Instant | None = Field(
        default=None, description="The booking system's version time; default: now."
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


def partners_router(care: ProactiveCare) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=StrictJsonRoute)
    partners = care.partners
    registrations = partners.registrations
    assert registrations is not None

    def operator(scope: AdminScope) -> str:
        if scope.tenant != care.settings.operator_tenant:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "partners are managed by the operator")
        return scope.actor

    def view(partner: str, stored: PartnerRegistration | None) -> PartnerView:
        if stored is None:
            known = care.settings.partners.get(partner)
            if known is None:
                raise NotFound(partner)
            shown = [
                SecretView(
                    id=f"env-{n}",
                    fingerprint=fingerprint(secret),
                    created_at=None,
                    created_by="environment",
                    source="environment",
                )
                for n, secret in enumerate(known.secrets, start=1)
            ]
            return PartnerView(partner=partner, secrets=shown)
        return PartnerView(
            partner=partner,
            secrets=[
                SecretView(**s.model_dump(exclude={"secret"}), source="store")
                for s in stored.secrets
            ],
        )

    @api.get("/partners", tags=["partner admin"])
    async def list_partners(scope: AdminScope) -> list[PartnerView]:
        """Every partner, stored or only in the environment, with its active secrets' ids."""
        operator(scope)
        cursor = registrations.collection.find({"tenant_id": SUPPLIER_SCOPE})
        stored = {doc["partner"]: PartnerRegistration.model_validate(doc) async for doc in cursor}
        names = sorted({*stored, *care.settings.partners})
        return [view(name, stored.get(name)) for name in names]

    @api.get("/partners/{partner}", tags=["partner admin"])
    async def get_partner(partner: str, scope: AdminScope) -> PartnerView:
        operator(scope)
        return view(partner, await registrations.get(SUPPLIER_SCOPE, partner))

    @api.post(
        "/partners/{partner}/secrets",
        tags=["partner admin"],
        status_code=status.HTTP_201_CREATED,
        responses={409: {"description": "Two secrets are active: revoke one first."}},
    )
    async def add_secret(
        partner: Annotated[str, Path(pattern=PARTNER)], scope: AdminScope
    ) -> SecretCreated:
        """A new secret for the partner, active at once on every replica (at most two)."""
        by = operator(scope)
        value = secrets.token_urlsafe(32)
        secret_id = "s-" + secrets.token_hex(4)
        for _ in range(WRITE_RETRIES):
            now = care.clock.now()
            stored = await registrations.get(SUPPLIER_SCOPE, partner)
            fresh = stored is None
            registration = stored or PartnerRegistration.new(
                partner, partners.bootstrap(partner), now
            )
            try:
                added = registration.add_secret(secret_id, value, by, now)
            except TooManySecrets as exc:
                raise HTTPException(
                    status.HTTP_409_CONFLICT, "two secrets are active: revoke one first"
                ) from exc
            try:
                await (registrations.add if fresh else registrations.save)(registration)
            except (AlreadyExists, ConcurrencyError):
                continue
            return SecretCreated(
                partner=partner,
                source="store",
                **added.model_dump(),  # the one time the secret itself is shown
            )
        raise ConcurrencyError(partner)

    @api.delete(
        "/partners/{partner}/secrets/{secret_id}",
        tags=["partner admin"],
        status_code=status.HTTP_204_NO_CONTENT,
    )
    async def revoke_secret(partner: str, secret_id: str, scope: AdminScope) -> None:
        """Requests signed with it are refused from now on, on every replica."""
        operator(scope)

        def revoke(registration: PartnerRegistration) -> None:
            try:
                registration.revoke(secret_id, care.clock.now())
            except UnknownSecret as exc:
                raise NotFound(secret_id) from exc

        await registrations.change(SUPPLIER_SCOPE, partner, revoke)

    # --- bookings

    @api.put("/bookings/{booking_id}", tags=["trips"])
    async def put_booking(
        booking_id: Annotated[str, Path(pattern=BOOKING)],
        body: BookingIn,
        scope: AdminScope,
        response: Response,
    ) -> BookingView:
        """Create or replace a booking (the booking system's HTTP path; the bus carries
        ``booking.upserted``). An older ``updated_at`` than the stored one changes nothing."""
        booking = events.BookingUpserted(
            booking_id=booking_id,
            traveller=body.traveller,
            channel=body.channel,
            segments=body.segments,
            updated_at=body.updated_at or care.clock.now(),
        )
        key = Trip.key(scope.tenant, booking_id)
        new = await care.store.trips.get(scope.tenant, key) is None
        await care.booking_upserted(_envelope(scope.tenant, booking, booking.updated_at))
        response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
        return await load(scope.tenant, booking_id)

    @api.delete("/bookings/{booking_id}", tags=["trips"])
    async def cancel_booking(booking_id: str, scope: AdminScope) -> BookingView:
        """The whole booking is cancelled: its segments no longer put anyone on board."""
        if await care.store.trips.get(scope.tenant, Trip.key(scope.tenant, booking_id)) is None:
            raise NotFound(booking_id)
        now = care.clock.now()
        cancelled = events.BookingCancelled(booking_id=booking_id, cancelled_at=now)
        await care.booking_cancelled(_envelope(scope.tenant, cancelled, now))
        return await load(scope.tenant, booking_id)

    @api.get("/bookings/{booking_id}", tags=["trips"])
    async def get_booking(booking_id: str, scope: StaffScope) -> BookingView:
        return await load(scope.tenant, booking_id)

    async def load(tenant_id: str, booking_id: str) -> BookingView:
        trip = await care.store.trips.get(tenant_id, Trip.key(tenant_id, booking_id))
        if trip is None:
            raise NotFound(booking_id)
        return booking_view(trip)

    return api


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
