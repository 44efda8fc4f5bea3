"""The relay's shutdown: a clear already running when ``stop`` comes is finished, not cut.

Found on SecantusDB, whose writes are slower than nx-27017's: ``stop`` cleared an empty
batch and cancelled the clearer in the middle of its write, so a document saved again
meanwhile kept its published events until the next process's sweeper sent them again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from contracts import events
from runtime.admission import Admission, AtCapacity, Reason
from runtime.aggregate import Aggregate, OutboxMessage
from runtime.clock import FakeClock
from runtime.outbox import EMPTIED, OutboxRelay
from runtime.store import OutboxSink, Repository
from tests.factories import T0, TRAVELLER
from tests.fakes import FakeDatabase, RecordingOutbox

MESSAGE = OutboxMessage(message_id="m1", correlation_id="t1", routing_key="x.y", body="{}")


class SlowCollection:
    """A collection whose batch write waits for the test; the document moved on meanwhile."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.writes: list[tuple[str, dict[str, Any], list[str]]] = []

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> Any:
        self.entered.set()
        await self.release.wait()
        self.writes.append(("bulk", {}, []))
        return SimpleNamespace(matched_count=0)

    async def update_many(self, query: dict[str, Any], update: dict[str, Any]) -> Any:
        self.writes.append(("update_many", query, sorted(update)))
        return SimpleNamespace(matched_count=0)


async def test_stop_finishes_the_clear_in_flight() -> None:
    things = SlowCollection()

    async def publish(message: OutboxMessage) -> None:
        return None

    relay = OutboxRelay(
        {"things": things},  # type: ignore[arg-type]
        ["things"],
        publish,
        FakeClock(T0),
        sweep_interval_s=3600,
    )
    relay.start()
    relay.committed("things", "t1", 1, [MESSAGE])
    await asyncio.wait_for(things.entered.wait(), 5)

    stopping = asyncio.create_task(relay.stop(timeout_s=5))
    await asyncio.sleep(0.05)
    things.release.set()
    await stopping

    assert things.writes == [
        ("bulk", {}, []),  # the clear of the published version: it moved on
        ("bulk", {}, []),  # so the published ids are pulled, whatever the version
        ("update_many", {"_id": {"$in": ["t1"]}, **EMPTIED}, ["$unset"]),
    ]


class RecordingCollection:
    """Records the documents and versions each bulk clear names; every clear matches."""

    def __init__(self) -> None:
        self.clears: list[list[tuple[str, int]]] = []

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> Any:
        self.clears.append([(r._filter["_id"], r._filter["version"]) for r in requests])
        return SimpleNamespace(matched_count=len(requests))


def message(n: int) -> OutboxMessage:
    return OutboxMessage(message_id=f"m{n}", correlation_id="t", routing_key="x.y", body="{}")


async def test_a_later_write_makes_an_earlier_commits_clear_unnecessary() -> None:
    """The later write left the confirmed messages out, so only what it kept is cleared."""
    things = RecordingCollection()
    published: list[str] = []

    async def publish(sent: OutboxMessage) -> None:
        published.append(sent.message_id)

    relay = OutboxRelay(
        {"things": things},  # type: ignore[arg-type]
        ["things"],
        publish,
        FakeClock(T0),
        sweep_interval_s=3600,
        clear_delay_s=0.1,
    )
    relay.start()
    relay.committed("things", "a", 1, [message(1)])
    relay.committed("things", "b", 1, [message(2)])
    await asyncio.sleep(0.01)
    assert relay.confirmed("m1")
    relay.committed("things", "a", 2, [])  # a's next write, nothing new and m1 left out
    relay.committed("things", "b", 2, [message(3)])  # b's next write raised m3
    await asyncio.sleep(0.5)
    await relay.stop()

    assert published == ["m1", "m2", "m3"]
    assert things.clears == [[("b", 2)]]


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


class Broker:
    """A broker whose connections can be cut: every publish then fails at once."""

    def __init__(self) -> None:
        self.up = False
        self.published: list[str] = []

    async def publish(self, sent: OutboxMessage) -> None:
        if not self.up:
            raise ConnectionError("broker unreachable")
        self.published.append(sent.message_id)


async def commit(db: FakeDatabase, outbox: OutboxSink, clock: FakeClock, name: str) -> None:
    thing = Thing(id=name, tenant_id="acme")
    thing.happen()
    await Repository(db, "things", Thing, outbox, clock).add(thing)  # type: ignore[arg-type]


async def test_the_backlog_shows_what_waits_in_the_outbox_while_the_broker_is_down() -> None:
    """The fast path hands a failed publish to the sweeper at once, so its queue stays empty;
    the sweeper's count of overdue outboxes is what shows the outage, and what turns
    contacts away at intake's door (``TRIPCARE_INGRESS_MAX_OUTBOX_BACKLOG``)."""
    db, clock, broker = FakeDatabase(), FakeClock(T0), Broker()
    relay = OutboxRelay(
        db,  # type: ignore[arg-type]
        ["things", "others"],
        broker.publish,
        clock,
        sweep_interval_s=3600,
        grace_s=2.0,
    )
    admission = Admission(
        64, registry=CollectorRegistry(), backlog=lambda: relay.backlog, max_backlog=2
    )
    relay.start()
    for name in ("a", "b", "c"):
        await commit(db, relay, clock, name)
    await asyncio.sleep(0.05)  # the fast path tried and gave up
    assert relay.backlog == 0  # not overdue yet: the sweeper would publish it in time

    clock.advance(timedelta(seconds=3))
    with pytest.raises(ConnectionError):
        await relay.sweep()
    assert (relay.backlog, relay.overdue) == (3, 3)
    with pytest.raises(AtCapacity) as refused, admission.admit():
        pass
    assert refused.value.reason is Reason.OUTBOX_BACKLOG

    broker.up = True
    assert await relay.sweep() == 3
    assert (relay.backlog, relay.overdue) == (0, 0)
    assert len(broker.published) == 3
    assert all("pending_ms" not in doc for doc in db["things"].docs.values())
    with admission.admit():
        pass
    await relay.stop()


async def test_the_sweeper_counts_the_overdue_only_when_a_whole_batch_is() -> None:
    """One count query a pass, and only when the batch read does not tell the number."""
    db, clock, broker = FakeDatabase(), FakeClock(T0), Broker()
    relay = OutboxRelay(
        db,  # type: ignore[arg-type]
        ["things"],
        broker.publish,
        clock,
        sweep_interval_s=3600,
        sweep_batch=2,
    )
    for name in ("a", "b", "c"):
        await commit(db, RecordingOutbox(), clock, name)  # by a process that died since
    clock.advance(timedelta(seconds=3))

    with pytest.raises(ConnectionError):
        await relay.sweep()
    assert relay.backlog == 3
    assert len(db["things"].counts) == 1

    broker.up = True
    assert await relay.sweep() == 2  # a batch
    assert relay.backlog == 1
    assert await relay.sweep() == 1
    assert relay.backlog == 0
    assert len(db["things"].counts) == 2
