"""``runtime.periodic.Periodic``: the background loop every sweeper, archiver and reporter runs."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from runtime.periodic import Periodic


async def test_a_failing_step_is_logged_and_the_loop_goes_on_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("store away")

    worker = Periodic("test-loop", 0.01, step, failure="step failed", at_once=True)
    worker.start()
    await asyncio.sleep(0.05)
    await worker.stop(1.0)
    ran = len(calls)
    await asyncio.sleep(0.03)
    assert ran >= 2, "the step after the failure ran"
    assert len(calls) == ran, "nothing runs after stop"
    assert "step failed: RuntimeError: store away" in caplog.text


async def test_without_at_once_the_first_step_waits_one_interval() -> None:
    calls: list[None] = []

    async def step() -> None:
        calls.append(None)

    worker = Periodic("test-loop", 10.0, step, failure="step failed")
    worker.start()
    await asyncio.sleep(0.02)
    await worker.stop(1.0)
    assert calls == []


SELECTION_ERROR = (
    "127.0.0.1:27117: [Errno 111] Connect call failed ('127.0.0.1', 27117) (configured "
    "timeouts: socketTimeoutMS: 3000.0ms, connectTimeoutMS: 3000.0ms), Timeout: 5.0s, "
    "Topology Description: <TopologyDescription id: 6b17437a291e998fda78d53d, topology_type: "
    "Unknown, servers: [<ServerDescription ('127.0.0.1', 27117) server_type: Unknown, rtt: "
    'None, error=AutoReconnect("127.0.0.1:27117: [Errno 111] Connect call failed")>]>'
)


async def test_a_step_that_found_the_store_down_says_so_briefly_and_where_to_look(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every sweeper's line during a store outage was the driver's whole error, topology
    description and all, every second per sweeper, and none said what it meant or what to
    do: the error's head now, and the runbook for an unreachable store."""

    async def step() -> None:
        raise ServerSelectionTimeoutError(SELECTION_ERROR)

    worker = Periodic("test-loop", 0.01, step, failure="outbox sweep failed", at_once=True)
    worker.start()
    await asyncio.sleep(0.03)
    await worker.stop(1.0)

    line = caplog.records[0].getMessage()
    assert line.startswith(
        "outbox sweep failed: ServerSelectionTimeoutError: 127.0.0.1:27117: [Errno 111] "
        "Connect call failed ('127.0.0.1', 27117)"
    )
    assert "Topology Description" not in line
    assert "store unreachable" in line
    assert "docs/operations.md#store-failover-mongodb-primary-lost-or-election" in line
