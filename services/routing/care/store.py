"""Routing's collections for proactive care: trips, disruptions, incident views, affected
travellers, supplier reports, unknown supplier events and signature nonces.

Two queries here cross tenants on purpose: finding the trips a supplier event
hits (``keys``) and the open disruptions a contact names — supplier data
belongs to no tenant. Everything they return is written back per tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, datetime, timedelta

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from runtime.clock import epoch_ms
from runtime.nonces import NonceStore, Replayed, Use
from runtime.shared_commands import SharedFind, SharedWrites, shared_by_ids
from runtime.store import Document, Repository
from runtime.store_batches import Observers
from services.routing.care.domain.care_keys import (
    Entry,
    disruption_entries,
    live,
    over,
    reference_key,
    traveller_key,
    trip_entries,
)
from services.routing.care.domain.incidents import AffectedTraveller, Disruption, TenantIncident
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.domain.trips import Trip, TripStatus, nights, segment_key

TRIPS = "trips"
DISRUPTIONS = "disruptions"
INCIDENTS = "incidents"
AFFECTED = "affected_travellers"
SUPPLIER_REPORTS = "supplier_reports"
UNKNOWN_EVENTS = "supplier_unknown_events"
NONCES = "supplier_nonces"
PARTNERS = "supplier_partners"
CARE_KEYS = "care_keys"
KEYED_MARK = "meta|keyed"
"""Present once every trip and disruption stored before care keys existed has its keys."""
HISTORY_BATCH = 500
KEY_GRACE = timedelta(days=1)
"""How long past its end a member is kept: readers drop it at once, this is for clock skew."""
PRUNE_BATCH = 500
OUTBOX_COLLECTIONS = (DISRUPTIONS, INCIDENTS, AFFECTED, SUPPLIER_REPORTS)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[TRIPS].create_index([("keys", 1), ("status", 1)])
    await db[TRIPS].create_index([("tenant_id", 1), ("traveller.id", 1), ("ends_ms", 1)])
    # nx-27017 answers a traveller's trips (the staff API's view of them) only from a
    # single-field index: 0.7 ms instead of 31 ms at 20,000 trips (docs/architecture.md).
    # A new ticket's lookups (its traveller's trips, the open disruptions it names) go by
    # ``care_keys`` instead: one ``_id`` read shared by the cases routed together.
    await db[TRIPS].create_index("traveller.id")
    await db[INCIDENTS].create_index([("tenant_id", 1), ("updated_at", -1)])
    await db[AFFECTED].create_index([("tenant_id", 1), ("incident_id", 1)])
    await db[UNKNOWN_EVENTS].create_index("received_at")
    await NonceStore(db[NONCES]).ensure_index()


class CareStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        trips: Repository[Trip],
        disruptions: Repository[Disruption],
        incidents: Repository[TenantIncident],
        affected: Repository[AffectedTraveller],
        linger_s: float = 0.0,
        observers: Observers | None = None,
    ) -> None:
        """``linger_s``: how long a patient care lookup waits to share its reads."""
        self.db = db
        self.trips = trips
        self.disruptions = disruptions
        self.incidents = incidents
        self.affected = affected
        self.keys = db[CARE_KEYS]
        self.nonces = NonceStore(db[NONCES])
        self._key_reads = shared_by_ids(
            self.keys, name="reads", linger_s=linger_s, observers=observers
        )
        self._key_writes = SharedWrites(self.keys, name="writes", observers=observers)
        self._trip_reads = shared_by_ids(trips.collection, name="by-id", observers=observers)
        self._disruption_reads = shared_by_ids(
            disruptions.collection, name="by-id", observers=observers
        )

    # ------------------------------------------------------------------ care keys

    async def index(self, entries: Iterable[Entry]) -> None:
        """Add members to their keys (idempotent), before the documents they lead to."""
        await self._key_writes.write(
            [
                UpdateOne({"_id": key}, {"$addToSet": {"members": member}}, upsert=True)
                for key, member in sorted(set(entries))
            ]
        )

    async def care_of(
        self,
        tenant_id: str,
        traveller_id: str | None,
        references: Sequence[str],
        now: datetime,
        *,
        patient: bool = False,
    ) -> tuple[list[Trip], list[Disruption]]:
        """The traveller's bookings not over yet and the open disruptions of these
        references: one read of their keys, then of the documents they list, if any."""
        mine = traveller_key(tenant_id, traveller_id) if traveller_id else None
        wanted = tuple(sorted({*([mine] if mine else []), *map(reference_key, references)}))
        if not wanted:
            return [], []
        members = {
            doc["_id"]: doc.get("members", [])
            for doc in await self._key_reads.find(wanted, patient=patient)
        }
        now_ms = epoch_ms(now)
        trip_ids = tuple(live(members.get(mine, []), now_ms)) if mine else ()
        disruption_ids = tuple(
            sorted({i for r in references for i in live(members.get(reference_key(r), []), now_ms)})
        )
        trips = [
            trip
            for trip in map(Trip.model_validate, await self._found(self._trip_reads, trip_ids))
            if (trip.tenant_id, trip.traveller.id) == (tenant_id, traveller_id)
            and trip.ends_ms >= now_ms
        ]
        found = await self._found(self._disruption_reads, disruption_ids)
        disruptions = [
            d
            for d in map(Disruption.model_validate, found)
            if d.tenant_id == SUPPLIER_SCOPE
            and d.reference in references
            and d.open_until_ms >= now_ms
        ]
        return trips, disruptions

    @staticmethod
    async def _found(reads: SharedFind[tuple[str, ...]], ids: tuple[str, ...]) -> list[Document]:
        return sorted(await reads.find(ids), key=lambda doc: str(doc["_id"])) if ids else []

    async def index_history(self, now: datetime) -> int:
        """Key the live trips and disruptions stored before care keys existed, once, a
        batch at a time (a deployment may hold millions of bookings)."""
        if await self.keys.find_one({"_id": KEYED_MARK}) is not None:
            return 0
        keyed, batch = 0, []
        async for entry in self._stored_entries(epoch_ms(now)):
            batch.append(entry)
            if len(batch) >= HISTORY_BATCH:
                await self.index(batch)
                keyed, batch = keyed + len(batch), []
        await self.index(batch)
        await self.keys.update_one({"_id": KEYED_MARK}, {"$set": {"members": []}}, upsert=True)
        return keyed + len(batch)

    async def prune_keys(self, now: datetime) -> int:
        """Take out of every key the members over for ``KEY_GRACE``; a key left with none
        goes, as does one an interrupted prune left empty. Safe beside writers: ``$pullAll``
        removes only those exact members, and a key is deleted only while it has none (one
        added meanwhile keeps it). Returns how many members went."""
        before_ms, pruned = epoch_ms(now - KEY_GRACE), 0
        pending: list[UpdateOne | DeleteOne] = []
        async for doc in self.keys.find({}).sort("_id", 1):
            if doc["_id"] == KEYED_MARK:
                continue
            members = doc.get("members", [])
            gone = over(members, before_ms)
            if gone:
                pruned += len(gone)
                pending.append(UpdateOne({"_id": doc["_id"]}, {"$pullAll": {"members": gone}}))
            if len(gone) == len(members):
                pending.append(DeleteOne({"_id": doc["_id"], "members": {"$size": 0}}))
            if len(pending) >= PRUNE_BATCH:
                await self.keys.bulk_write(pending, ordered=True)
                pending = []
        if pending:
            await self.keys.bulk_write(pending, ordered=True)
        return pruned

    async def _stored_entries(self, since_ms: int) -> AsyncIterator[Entry]:
        async for doc in self.trips.collection.find({"ends_ms": {"$gte": since_ms}}):
            for entry in trip_entries(Trip.model_validate(doc)):
                yield entry
        async for doc in self.disruptions.collection.find({"open_until_ms": {"$gte": since_ms}}):
            for entry in disruption_entries(Disruption.model_validate(doc)):
                yield entry

    # ------------------------------------------------------------------ queries

    async def trips_on(
        self, resource: str, reference: str, day: date, last: date | None = None
    ) -> list[Trip]:
        """Every active booking, of every tenant, holding this segment on this date (or on
        any night from it to ``last``): one query, a key per night."""
        keys = [segment_key(resource, reference, night) for night in nights(day, last)]
        cursor = self.trips.collection.find(
            {"keys": {"$in": keys}, "status": TripStatus.ACTIVE}
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
        """Remember a signature; raises ``Replayed`` if it was seen before (it covers the
        body, so even the same body again is a replay)."""
        if await self.nonces.use(nonce, now) is not Use.FIRST:
            raise Replayed(nonce)
