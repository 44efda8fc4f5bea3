"""Group commit against the real store: concurrent loads and writes become one command
each (counted by a PyMongo command listener), and every caller still gets exactly the
outcome its own ``find_one``/``insert_one``/``replace_one`` would have had."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure

from deploy import local
from runtime.aggregate import Aggregate
from runtime.clock import SystemClock
from runtime.service import ServiceRuntime
from runtime.settings import Settings
from runtime.store import (
    AlreadyExists,
    ConcurrencyError,
    Document,
    Repository,
    mongo_client,
)
from tests.fakes import RecordingOutbox

pytestmark = pytest.mark.integration
MANY = 20


class Thing(Aggregate):
    n: int = 0


class Commands(monitoring.CommandListener):
    """The names of the commands sent since the last ``take``."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in {"endSessions", "ping"}:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None

    def take(self) -> list[str]:
        names, self.names = self.names, []
        return names


@dataclass
class Store:
    db: AsyncDatabase[Document]
    commands: Commands
    outbox: RecordingOutbox

    def repository(self) -> Repository[Thing]:
        return Repository(self.db, "things", Thing, self.outbox, SystemClock())


@pytest.fixture
async def store(mongo_url: str) -> AsyncIterator[Store]:
    commands = Commands()
    client: AsyncMongoClient[Document] = mongo_client(mongo_url, [commands])
    db = client[f"gc_{uuid.uuid4().hex[:10]}"]
    await db["things"].insert_one({"_id": "warm-up"})  # connects and creates the collection
    commands.take()
    try:
        yield Store(db, commands, RecordingOutbox())
    finally:
        await client.drop_database(db.name)
        await client.close()


def things(count: int, tenant: str = "acme") -> list[Thing]:
    return [Thing(id=f"t{n}", tenant_id=tenant) for n in range(count)]


async def test_concurrent_inserts_loads_and_saves_are_one_command_each(store: Store) -> None:
    repo = store.repository()

    await asyncio.gather(*(repo.add(t) for t in things(MANY)))
    assert store.commands.take() == ["insert"]

    loaded = await asyncio.gather(*(repo.get("acme", f"t{n}") for n in range(MANY)))
    assert store.commands.take() == ["find"]

    for thing in loaded:
        assert thing is not None
        thing.n = 1
    await asyncio.gather(*(repo.save(t) for t in loaded if t is not None))
    assert store.commands.take() == ["update"]

    stored = [doc["n"] async for doc in store.db["things"].find({"tenant_id": "acme"})]
    assert stored == [1] * MANY


async def test_a_lone_request_is_one_plain_command_and_nothing_more(store: Store) -> None:
    repo = store.repository()

    await repo.add(Thing(id="solo", tenant_id="acme"))
    solo = await repo.get("acme", "solo")
    assert solo is not None
    await repo.save(solo)

    assert store.commands.take() == ["insert", "find", "update"]


async def test_a_stale_version_in_a_batch_is_refused_while_the_others_commit(store: Store) -> None:
    repo = store.repository()
    await asyncio.gather(*(repo.add(t) for t in things(5)))
    loaded = [t for t in await asyncio.gather(*(repo.get("acme", f"t{n}") for n in range(5))) if t]
    await store.db["things"].update_one({"_id": "t2"}, {"$inc": {"version": 1}})
    store.commands.take()
    for thing in loaded:
        thing.n = 1

    outcomes = await asyncio.gather(*(repo.save(t) for t in loaded), return_exceptions=True)

    assert [isinstance(o, ConcurrencyError) for o in outcomes] == [False, False, True, False, False]
    assert outcomes.count(None) == 4
    assert store.commands.take() == ["update", "find"]  # the bulk write, then its read-back
    stored = {doc["_id"]: doc["n"] async for doc in store.db["things"].find({"tenant_id": "acme"})}
    assert stored == {"t0": 1, "t1": 1, "t2": 0, "t3": 1, "t4": 1}


async def test_a_duplicate_insert_in_a_batch_is_refused_while_the_others_commit(
    store: Store,
) -> None:
    repo = store.repository()
    await repo.add(Thing(id="t3", tenant_id="acme", n=7))
    store.commands.take()

    outcomes = await asyncio.gather(*(repo.add(t) for t in things(5)), return_exceptions=True)

    assert [isinstance(o, AlreadyExists) for o in outcomes] == [False, False, False, True, False]
    assert store.commands.take() == ["insert"]
    stored = {doc["_id"]: doc["n"] async for doc in store.db["things"].find({"tenant_id": "acme"})}
    assert stored == {"t0": 0, "t1": 0, "t2": 0, "t3": 7, "t4": 0}


async def test_another_tenants_id_is_not_found_even_in_a_batch_that_finds_it(store: Store) -> None:
    repo = store.repository()
    await repo.add(Thing(id="shared-looking", tenant_id="acme"))
    store.commands.take()

    mine, theirs = await asyncio.gather(
        repo.get("acme", "shared-looking"), repo.get("globex", "shared-looking")
    )

    assert mine is not None
    assert mine.tenant_id == "acme"
    assert theirs is None
    assert store.commands.take() == ["find"]


async def test_a_connection_failure_reaches_every_waiter_of_the_batch() -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{local.free_port()}/", serverSelectionTimeoutMS=300
    )
    outbox = RecordingOutbox()
    repo: Repository[Thing] = Repository(client["nowhere"], "things", Thing, outbox, SystemClock())
    try:
        writes = await asyncio.gather(*(repo.add(t) for t in things(3)), return_exceptions=True)
        loads = await asyncio.gather(
            *(repo.get("acme", f"t{n}") for n in range(3)), return_exceptions=True
        )
    finally:
        await client.close()

    assert all(isinstance(outcome, ConnectionFailure) for outcome in [*writes, *loads])
    assert outbox.messages == []


async def test_the_service_runtime_shares_one_batch_per_collection_and_shows_sizes_in_metrics(
    settings: Settings, mongo: AsyncMongoClient[Document]
) -> None:
    runtime = ServiceRuntime(
        settings.model_copy(update={"store_command_metrics": True}), outbox_collections=()
    )
    first, second = runtime.repository("things", Thing), runtime.repository("things", Thing)
    try:
        await asyncio.gather(
            *(repo.add(t) for repo, t in zip([first, second] * 3, things(6), strict=True))
        )
    finally:
        await runtime.client.close()
        await mongo.drop_database(settings.database)

    sample = runtime.registry.get_sample_value
    labels = {"collection": "things", "kind": "write"}
    assert (sample("store_batch_size_count", labels), sample("store_batch_size_sum", labels)) == (
        1.0,
        6.0,
    )
    inserts = {"database": settings.database, "command": "insert"}
    assert sample("store_commands_total", inserts) == 1.0
