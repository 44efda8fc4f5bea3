"""Routing's collections for proactive care: trips, disruptions, incident views, affected
travellers, supplier reports, unknown supplier events and signature nonces.

Two queries here cross tenants on purpose: finding the trips a supplier event
hits (``keys``) and the open disruptions a contact names — supplier data
belongs to no tenant. Everything they return is written back per tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from runtime.clock import epoch_ms
from runtime.store import Document, Repository
from services.routing.care.domain.incidents import AffectedTraveller, Disruption, TenantIncident
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.domain.trips import Trip, TripStatus, segment_key

TRIPS = "trips"
DISRUPTIONS = "disruptions"
INCIDENTS = "incidents"
AFFECTED = "affected_travellers"
SUPPLIER_REPORTS = "supplier_reports"
UNKNOWN_EVENTS = "supplier_unknown_events"
NONCES = "supplier_nonces"
PARTNERS = "supplier_partners"
NONCE_KEEP = timedelta(minutes=15)
"""Longer than the replay window, so a replay is caught for as long as it could verify."""
OUTBOX_COLLECTIONS = (DISRUPTIONS, INCIDENTS, AFFECTED, SUPPLIER_REPORTS)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[TRIPS].create_index([("keys", 1), ("status", 1)])
    await db[TRIPS].create_index([("tenant_id", 1), ("traveller.id", 1), ("ends_ms", 1)])
    # nx-27017 answers a traveller's trips (every contact's itinerary) only from a
    # single-field index: 0.7 ms instead of 31 ms at 20,000 trips (docs/architecture.md).
    await db[TRIPS].create_index("traveller.id")
    await db[DISRUPTIONS].create_index([("reference", 1), ("open_until_ms", 1)])
    # Likewise the open disruptions a contact names: 0.7 ms instead of 4.8 ms at 5,000.
    await db[DISRUPTIONS].create_index("reference")
    await db[INCIDENTS].create_index([("tenant_id", 1), ("updated_at", -1)])
    await db[AFFECTED].create_index([("tenant_id", 1), ("incident_id", 1)])
    await db[UNKNOWN_EVENTS].create_index("received_at")
    await db[NONCES].create_index("created_at", expireAfterSeconds=int(NONCE_KEEP.total_seconds()))


class Replayed(Exception):
    """This exact signature was presented before."""


class CareStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        trips: Repository[Trip],
        disruptions: Repository[Disruption],
        incidents: Repository[TenantIncident],
        affected: Repository[AffectedTraveller],
    ) -> None:
        self.db = db
        self.trips = trips
        self.disruptions = disruptions
        self.incidents = incidents
        self.affected = affected

    async def trips_on(self, resource: str, reference: str, day: Any) -> list[Trip]:
        """Every active booking, of every tenant, holding this segment on this date."""
        key = segment_key(resource, reference, day)
        cursor = self.trips.collection.find(
            {"keys": {"$in": [key]}, "status": TripStatus.ACTIVE}
        ).sort("_id", 1)
        return [Trip.model_validate(doc) async for doc in cursor]

    async def tenant_trips_on(self, tenant_id: str, key: str, limit: int) -> list[Trip]:
        """One tenant's active bookings holding this segment key."""
        cursor = (
            self.trips.collection.find(
                {"tenant_id": tenant_id, "keys": {"$in": [key]}, "status": TripStatus.ACTIVE}
            )
            .sort("_id", 1)
            .limit(limit)
        )
        return [Trip.model_validate(doc) async for doc in cursor]

    async def trips_of(self, tenant_id: str, traveller_id: str, now: datetime) -> list[Trip]:
        """The traveller's bookings that are not over yet."""
        cursor = self.trips.collection.find(
            {
                "tenant_id": tenant_id,
                "traveller.id": traveller_id,
                "ends_ms": {"$gte": epoch_ms(now)},
            }
        )
        return [Trip.model_validate(doc) async for doc in cursor]

    async def open_disruptions(self, references: Sequence[str], now: datetime) -> list[Disruption]:
        """A contact usually names one reference: asked by equality, the read uses an index
        on nx-27017, where ``$in`` scans every disruption ever kept (docs/architecture.md)."""
        names: Any = references[0] if len(references) == 1 else {"$in": list(references)}
        cursor = self.disruptions.collection.find(
            {
                "tenant_id": SUPPLIER_SCOPE,
                "reference": names,
                "open_until_ms": {"$gte": epoch_ms(now)},
            }
        )
        return [Disruption.model_validate(doc) async for doc in cursor]

    async def incidents_of(self, tenant_id: str, limit: int) -> list[TenantIncident]:
        cursor = (
            self.incidents.collection.find({"tenant_id": tenant_id})
            .sort("updated_at", -1)
            .limit(limit)
        )
        return [TenantIncident.model_validate(doc) async for doc in cursor]

    async def affected_of(self, tenant_id: str, incident_id: str) -> list[AffectedTraveller]:
        cursor = self.affected.collection.find(
            {"tenant_id": tenant_id, "incident_id": incident_id}
        ).sort("departs_at", 1)
        return [AffectedTraveller.model_validate(doc) async for doc in cursor]

    async def keep_unknown(self, message_id: str, record: Document) -> None:
        """Store a supplier event of an unknown kind once, for the report."""
        try:
            await self.db[UNKNOWN_EVENTS].insert_one({"_id": message_id, **record})
        except DuplicateKeyError:
            return

    async def unknown_events(self, limit: int) -> list[Document]:
        cursor = self.db[UNKNOWN_EVENTS].find({}).sort("received_at", -1).limit(limit)
        return [doc async for doc in cursor]

    async def use_nonce(self, nonce: str, now: datetime) -> None:
        """Remember a signature; raises ``Replayed`` if it was seen before."""
        try:
            await self.db[NONCES].insert_one({"_id": nonce, "created_at": now})
        except DuplicateKeyError as exc:
            raise Replayed(nonce) from exc
