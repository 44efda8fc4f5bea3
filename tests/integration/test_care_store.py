"""Routing's proactive-care reads against the real store: a new ticket's traveller's live
bookings and the open disruptions it names come from one read of their care keys, and a
stale key never gives a wrong answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts.events import Channel, Traveller
from runtime.clock import FakeClock, epoch_ms
from runtime.store import Document, Repository
from services.routing.care import store as care_store_module
from services.routing.care.domain.care_keys import disruption_entries, trip_entries
from services.routing.care.domain.incidents import AffectedTraveller, Disruption, TenantIncident
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.domain.trips import Trip
from services.routing.care.store import (
    AFFECTED,
    CARE_KEYS,
    DISRUPTIONS,
    INCIDENTS,
    TRIPS,
    CareStore,
    ensure_indexes,
)
from tests.fakes import RecordingOutbox
from tests.integration.scratch import scratch_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(mongo: AsyncMongoClient[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(mongo, "care", ensure_indexes) as database:
        yield database


class Batches:
    """Sizes of the shared reads, by collection and kind (``store_batch_size``)."""

    def __init__(self) -> None:
        self.sizes: dict[tuple[str, str], list[float]] = {}

    def __call__(self, collection: str, kind: str) -> Callable[[float], None]:
        return self.sizes.setdefault((collection, kind), []).append


def care_store(
    db: AsyncDatabase[Document], linger_s: float = 0.0, batches: Batches | None = None
) -> CareStore:
    outbox, clock = RecordingOutbox(), FakeClock(NOW)

    def repo(name: str, model: type) -> Repository:  # type: ignore[type-arg]
        return Repository(db, name, model, outbox, clock)  # type: ignore[arg-type]

    return CareStore(
        db,
        trips=repo(TRIPS, Trip),
        disruptions=repo(DISRUPTIONS, Disruption),
        incidents=repo(INCIDENTS, TenantIncident),
        affected=repo(AFFECTED, AffectedTraveller),
        linger_s=linger_s,
        observers=batches,
    )


def disruption(reference: str, open_for: timedelta) -> Disruption:
    return Disruption(
        id=f"flight:{reference}:2026-12-06",
        tenant_id=SUPPLIER_SCOPE,
        resource="flight",
        reference=reference,
        service_date=date(2026, 12, 6),
        partner="ca",
        kind="flight_cancelled",
        open_until_ms=epoch_ms(NOW + open_for),
    )


def trip(tenant_id: str, booking_id: str, traveller_id: str, ends_in: timedelta) -> Trip:
    return Trip(
        id=Trip.key(tenant_id, booking_id),
        tenant_id=tenant_id,
        booking_id=booking_id,
        traveller=Traveller(id=traveller_id),
        channel=Channel.IN_APP,
        ends_ms=epoch_ms(NOW + ends_in),
    )


async def keep(
    db: AsyncDatabase[Document], store: CareStore | None, *documents: Disruption | Trip
) -> None:
    """Store the documents, each keyed first as the service does (``None``: unkeyed)."""
    for document in documents:
        if store is not None:
            entries = (
                trip_entries(document)
                if isinstance(document, Trip)
                else disruption_entries(document)
            )
            await store.index(entries)
        collection = TRIPS if isinstance(document, Trip) else DISRUPTIONS
        await db[collection].insert_one(document.model_dump(by_alias=True))


async def test_named_references_find_their_open_disruptions_and_not_closed_ones(
    db: AsyncDatabase[Document],
) -> None:
    store = care_store(db)
    await keep(
        db,
        store,
        disruption("CA1501", timedelta(hours=6)),
        disruption("MU5100", timedelta(hours=6)),
        disruption("CA1502", -timedelta(hours=1)),  # its key says open: the document says no
    )

    async def named(*references: str) -> list[str]:
        _, found = await store.care_of("acme", None, references, NOW)
        return [d.reference for d in found]

    assert await named("CA1501") == ["CA1501"]
    assert await named("CA1501", "MU5100", "ZZ1") == ["CA1501", "MU5100"]
    assert await named("CA1502") == []
    assert await named() == []


async def test_a_travellers_live_bookings_are_theirs_alone(db: AsyncDatabase[Document]) -> None:
    store = care_store(db)
    moved = trip("acme", "bk-3", "ann", timedelta(days=2))
    await keep(
        db,
        store,
        trip("acme", "bk-1", "ann", timedelta(days=1)),
        trip("acme", "bk-2", "ann", -timedelta(hours=1)),  # over
        trip("globex", "bk-1", "ann", timedelta(days=1)),  # another tenant's Ann
        moved,
    )
    moved.traveller = Traveller(id="bob")  # rebooked for Bob: Ann's key still lists it
    await store.index(trip_entries(moved))
    await db[TRIPS].replace_one({"_id": moved.id}, moved.model_dump(by_alias=True))

    async def bookings(tenant_id: str, traveller_id: str) -> list[str]:
        found, _ = await store.care_of(tenant_id, traveller_id, (), NOW)
        return [t.booking_id for t in found]

    assert await bookings("acme", "ann") == ["bk-1"]
    assert await bookings("acme", "bob") == ["bk-3"]
    assert await bookings("globex", "ann") == ["bk-1"]
    assert await bookings("acme", "nobody") == []


async def test_cases_looking_at_once_share_one_read_of_the_keys(
    db: AsyncDatabase[Document],
) -> None:
    batches = Batches()
    store = care_store(db, linger_s=0.05, batches=batches)
    await keep(db, store, trip("acme", "bk-1", "ann", timedelta(days=1)))
    await keep(db, store, disruption("CA1501", timedelta(hours=6)))

    found = await asyncio.gather(
        *(
            store.care_of("acme", traveller, ["CA1501"], NOW, patient=True)
            for traveller in ("ann", "bob", "cho", "dee")
        )
    )

    assert [([t.booking_id for t in trips], len(open_ones)) for trips, open_ones in found] == [
        (["bk-1"], 1),
        ([], 1),
        ([], 1),
        ([], 1),
    ]
    assert batches.sizes[(CARE_KEYS, "reads")] == [4]


async def test_what_was_stored_before_care_keys_is_keyed_once_at_start(
    db: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(care_store_module, "HISTORY_BATCH", 1)  # a write per entry
    await keep(
        db,
        None,
        trip("acme", "bk-1", "ann", timedelta(days=1)),
        trip("acme", "bk-2", "ann", -timedelta(days=1)),
        disruption("CA1501", timedelta(hours=6)),
    )
    store = care_store(db)
    assert await store.care_of("acme", "ann", ["CA1501"], NOW) == ([], [])

    assert await store.index_history(NOW) == 2
    assert await store.index_history(NOW) == 0

    trips, open_ones = await store.care_of("acme", "ann", ["CA1501"], NOW)
    assert ([t.booking_id for t in trips], [d.reference for d in open_ones]) == (
        ["bk-1"],
        ["CA1501"],
    )


async def test_members_over_for_a_day_are_pruned_and_an_empty_key_goes(
    db: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(care_store_module, "PRUNE_BATCH", 1)  # a write per step
    store = care_store(db)
    await keep(
        db,
        store,
        trip("acme", "bk-1", "ann", timedelta(days=1)),
        trip("acme", "bk-2", "ann", -timedelta(days=3)),
        trip("acme", "bk-3", "bob", -timedelta(days=2)),
        trip("acme", "bk-4", "cho", -timedelta(hours=2)),  # over, but within the grace
    )
    await db[CARE_KEYS].update_one(
        {"_id": "traveller|acme|ann"}, {"$addToSet": {"members": "garbage"}}
    )
    await store.index_history(NOW)  # the marker has no members and stays

    assert await store.prune_keys(NOW) == 3  # bk-2, bk-3 and the garbage
    keys = {doc["_id"]: doc["members"] async for doc in db[CARE_KEYS].find({})}
    assert keys == {
        "traveller|acme|ann": [member(NOW + timedelta(days=1), "bk-1")],
        "traveller|acme|cho": [member(NOW - timedelta(hours=2), "bk-4")],
        care_store_module.KEYED_MARK: [],
    }
    assert [t.booking_id for t in (await store.care_of("acme", "ann", (), NOW))[0]] == ["bk-1"]
    assert await store.prune_keys(NOW) == 0


async def test_a_key_an_interrupted_prune_left_empty_goes_at_the_next(
    db: AsyncDatabase[Document],
) -> None:
    store = care_store(db)
    await keep(db, store, trip("acme", "bk-1", "ann", timedelta(days=1)))
    await db[CARE_KEYS].insert_one({"_id": "traveller|acme|gone", "members": []})
    await store.index_history(NOW)

    assert await store.prune_keys(NOW) == 0

    keys = sorted([doc["_id"] async for doc in db[CARE_KEYS].find({})])
    assert keys == sorted(["traveller|acme|ann", care_store_module.KEYED_MARK])


async def test_a_key_given_a_member_while_it_is_pruned_is_kept(
    db: AsyncDatabase[Document],
) -> None:
    """The delete of an emptied key holds only while it is empty: a booking keyed between
    the prune's read and its write is not lost."""
    store = care_store(db)
    await keep(db, store, trip("acme", "bk-1", "ann", -timedelta(days=3)))
    fresh = trip("acme", "bk-2", "ann", timedelta(days=1))
    prune = store.keys.bulk_write
    raced: list[str] = []

    async def racing_prune(*args: object, **kwargs: object) -> object:
        if not raced:  # the booking service keys bk-2 just before the prune writes
            raced.append(fresh.id)
            await keep(db, care_store(db), fresh)
        return await prune(*args, **kwargs)  # type: ignore[arg-type]

    store.keys.bulk_write = racing_prune  # type: ignore[method-assign]
    assert await store.prune_keys(NOW) == 1
    assert raced == [fresh.id]
    found, _ = await store.care_of("acme", "ann", (), NOW)
    assert [t.booking_id for t in found] == ["bk-2"]


def member(until: datetime, booking_id: str) -> str:
    return f"{epoch_ms(until):013d}|{Trip.key('acme', booking_id)}"
