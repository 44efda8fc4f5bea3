"""The outbox: committed events reach the broker with confirms, even after a crash."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient, monitoring

from contracts import events
from contracts.topology import Topology
from runtime.aggregate import Aggregate, OutboxMessage
from runtime.bus import Bus
from runtime.clock import SystemClock
from runtime.outbox import OutboxRelay
from runtime.settings import Settings
from runtime.store import Document, Repository, mongo_client
from runtime.telemetry import setup_tracing
from tests.factories import T0, TRAVELLER

pytestmark = pytest.mark.integration


class Thing(Aggregate):
    def happen(self) -> None:
        self.raise_event(
            events.TicketOpened(
                ticket_id=self.id,
                channel=events.Channel.EMAIL,
                traveller=TRAVELLER,
                text="x",
                opened_at=T0,
            )
        )


class Forgetful:
    """An outbox sink of a process that dies right after committing."""

    def committed(self, *args: Any) -> None:
        return None


@pytest.fixture
async def bus(settings: Settings) -> AsyncIterator[Bus]:
    running = Bus(
        settings,
        Topology(settings.namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def listener(bus: Bus, amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractQueue]:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(f"{bus.topology.namespace}.listener", exclusive=True)
    await queue.bind(bus.topology.events_exchange, routing_key="#")
    yield queue
    await connection.close()


async def received(
    queue: aio_pika.abc.AbstractQueue, count: int, timeout_s: float = 10
) -> list[str]:
    ids: list[str] = []
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(ids) < count and asyncio.get_running_loop().time() < deadline:
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.05)
            continue
        ids.append(str(message.message_id))
    return ids


async def test_a_committed_event_is_published_and_cleared_from_the_outbox(
    bus: Bus,
    listener: aio_pika.abc.AbstractQueue,
    mongo: AsyncMongoClient[Document],
    namespace: str,
) -> None:
    db = mongo[f"{namespace}_outbox"]
    relay = OutboxRelay(
        db, ["things"], bus.publish, SystemClock(), sweep_interval_s=0.2, grace_s=0.5
    )
    relay.start()
    things = Repository(db, "things", Thing, relay, SystemClock())
    thing = Thing(id="t1", tenant_id="acme")
    thing.happen()

    await things.add(thing)
    (published,) = await received(listener, 1)
    await relay.stop()

    doc = await db["things"].find_one({"_id": "t1"})
    assert doc is not None
    assert published == thing.outbox[0].message_id
    assert doc["outbox"] == []
    assert "pending_ms" not in doc


async def test_events_committed_by_a_process_that_died_are_published_by_the_sweeper(
    bus: Bus,
    listener: aio_pika.abc.AbstractQueue,
    mongo: AsyncMongoClient[Document],
    namespace: str,
) -> None:
    db = mongo[f"{namespace}_outbox"]
    things = Repository(db, "things", Thing, Forgetful(), SystemClock())
    for n in range(3):
        thing = Thing(id=f"t{n}", tenant_id="acme")
        thing.happen()
        await things.add(thing)
    await asyncio.sleep(1.6)  # nx-27017 compares dates to the second

    relay = OutboxRelay(db, ["things"], bus.publish, SystemClock(), grace_s=0.5)
    swept = await relay.sweep()

    assert swept == 3
    assert len(set(await received(listener, 3))) == 3
    assert [d["outbox"] async for d in db["things"].find({})] == [[], [], []]


async def test_a_publish_that_fails_leaves_the_event_in_the_outbox(
    mongo: AsyncMongoClient[Document], namespace: str
) -> None:
    db = mongo[f"{namespace}_outbox"]

    async def broker_down(message: OutboxMessage) -> None:
        raise ConnectionError("broker unreachable")

    relay = OutboxRelay(db, ["things"], broker_down, SystemClock(), grace_s=0.0)
    relay.start()
    things = Repository(db, "things", Thing, relay, SystemClock())
    thing = Thing(id="t1", tenant_id="acme")
    thing.happen()
    await things.add(thing)
    await relay.stop()

    doc = await db["things"].find_one({"_id": "t1"})
    assert doc is not None
    assert len(doc["outbox"]) == 1
    assert doc["pending_ms"] > 0
    assert uuid.UUID(doc["outbox"][0]["message_id"])


async def test_the_backlog_counts_what_waits_in_the_outbox_until_the_broker_is_back(
    mongo: AsyncMongoClient[Document], namespace: str
) -> None:
    """The fast path gives a failed publish to the sweeper at once: the backlog is the
    sweeper's count of overdue outboxes (a count query when a whole batch is overdue)."""
    db = mongo[f"{namespace}_outbox"]
    broker = {"up": False}

    async def publish(message: OutboxMessage) -> None:
        if not broker["up"]:
            raise ConnectionError("broker unreachable")

    relay = OutboxRelay(
        db, ["things"], publish, SystemClock(), sweep_interval_s=0.2, grace_s=0.5, sweep_batch=2
    )
    relay.start()
    things = Repository(db, "things", Thing, relay, SystemClock())
    for n in range(3):
        thing = Thing(id=f"t{n}", tenant_id="acme")
        thing.happen()
        await things.add(thing)
    assert await until_backlog(relay, 3)

    broker["up"] = True
    assert await until_backlog(relay, 0)
    await relay.stop()
    assert [d["outbox"] async for d in db["things"].find({})] == [[], [], []]


async def until_backlog(relay: OutboxRelay, expected: int, timeout_s: float = 10) -> bool:
    for _ in range(int(timeout_s / 0.05)):
        if relay.backlog == expected:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_commits_published_together_are_cleared_in_one_batch_even_if_one_moved_on(
    mongo: AsyncMongoClient[Document], namespace: str
) -> None:
    """A document saved again between its publish and the clear keeps its new events."""
    db = mongo[f"{namespace}_outbox"]
    things: Repository[Thing] = Repository(db, "things", Thing, Forgetful(), SystemClock())

    async def publish(message: OutboxMessage) -> None:
        if message.message_id == first_of_moved:
            moved = await things.get("acme", "moved")
            assert moved is not None
            moved.happen()
            await things.save(moved)

    for name in ("a", "b", "moved"):
        thing = Thing(id=name, tenant_id="acme")
        thing.happen()
        await things.add(thing)
    docs = {d["_id"]: d async for d in db["things"].find({})}
    first_of_moved = docs["moved"]["outbox"][0]["message_id"]
    relay = OutboxRelay(db, ["things"], publish, SystemClock(), workers=3)
    relay.start()
    for name, doc in docs.items():
        relay.committed("things", name, doc["version"], [OutboxMessage(**doc["outbox"][0])])
    await relay.stop()

    after = {d["_id"]: d async for d in db["things"].find({})}
    assert after["a"]["outbox"] == after["b"]["outbox"] == []
    assert "pending_ms" not in after["a"]
    assert [m["message_id"] for m in after["moved"]["outbox"]] != [first_of_moved]
    assert len(after["moved"]["outbox"]) == 1


async def test_a_message_handed_over_by_two_commits_is_published_once(
    mongo: AsyncMongoClient[Document], namespace: str
) -> None:
    """A save landing before the previous commit's clear hands the old events over again."""
    db = mongo[f"{namespace}_outbox"]
    published: list[str] = []

    async def publish(message: OutboxMessage) -> None:
        await asyncio.sleep(0.05)
        published.append(message.message_id)

    things: Repository[Thing] = Repository(db, "things", Thing, Forgetful(), SystemClock())
    thing = Thing(id="t1", tenant_id="acme")
    thing.happen()
    await things.add(thing)
    first = list(thing.outbox)
    thing.happen()
    await things.save(thing)
    relay = OutboxRelay(db, ["things"], publish, SystemClock(), workers=2)
    relay.start()
    relay.committed("things", "t1", 1, first)
    relay.committed("things", "t1", 2, list(thing.outbox))
    await relay.stop()

    assert sorted(published) == sorted(m.message_id for m in thing.outbox)
    doc = await db["things"].find_one({"_id": "t1"})
    assert doc is not None
    assert doc["outbox"] == []


class Updates(monitoring.CommandListener):
    """Counts the update commands sent (the relay's clears are updates)."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += event.command_name == "update"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


async def until_confirmed(relay: OutboxRelay, message_id: str) -> None:
    for _ in range(1000):
        if relay.confirmed(message_id):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{message_id} not confirmed in 10 s")


async def test_the_next_write_leaves_out_what_the_broker_confirmed(
    mongo_url: str, namespace: str
) -> None:
    """A state change and its events are one write, and so is their clear: the aggregate's
    next write drops what was confirmed, and the relay sends no clear of its own for it."""
    updates = Updates()
    client: AsyncMongoClient[Document] = mongo_client(mongo_url, [updates])
    db = client[f"{namespace}_outbox"]
    published: list[str] = []

    async def publish(message: OutboxMessage) -> None:
        published.append(message.message_id)

    relay = OutboxRelay(db, ["things"], publish, SystemClock(), grace_s=60, clear_delay_s=5)
    relay.start()
    things: Repository[Thing] = Repository(db, "things", Thing, relay, SystemClock())
    thing = Thing(id="t1", tenant_id="acme")
    thing.happen()
    await things.add(thing)
    first = thing.outbox[0].message_id
    await until_confirmed(relay, first)

    loaded = await things.get("acme", "t1")
    assert loaded is not None
    loaded.happen()
    await things.save(loaded)
    (second,) = [m.message_id for m in loaded.outbox]
    stored = await db["things"].find_one({"_id": "t1"})
    assert stored is not None
    assert [m["message_id"] for m in stored["outbox"]] == [second] != [first]
    await until_confirmed(relay, second)

    latest = await things.get("acme", "t1")
    assert latest is not None
    await things.save(latest)  # a change that raises nothing
    await relay.stop()

    stored = await db["things"].find_one({"_id": "t1"})
    assert stored is not None
    assert stored["outbox"] == []
    assert "pending_ms" not in stored
    assert published == [first, second]
    assert updates.count == 2  # the two saves; no clear
    await client.close()
