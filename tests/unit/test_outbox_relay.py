"""The relay's shutdown: a clear already running when ``stop`` comes is finished, not cut.

Found on SecantusDB, whose writes are slower than nx-27017's: ``stop`` cleared an empty
batch and cancelled the clearer in the middle of its write, so a document saved again
meanwhile kept its published events until the next process's sweeper sent them again.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from runtime.aggregate import OutboxMessage
from runtime.clock import FakeClock
from runtime.outbox import EMPTIED, OutboxRelay
from tests.factories import T0

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
