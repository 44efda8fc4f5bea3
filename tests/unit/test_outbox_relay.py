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
