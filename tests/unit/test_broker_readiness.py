"""``/readyz``'s broker check answers at once when the connection told the service it was
lost: a load balancer probing every second gets its 503 then, not after the ping's 2 s."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from contracts.topology import Topology
from runtime.bus import Bus
from runtime.settings import Settings
from runtime.telemetry import setup_tracing


def bus() -> Bus:
    return Bus(
        Settings(service="routing", namespace="tripcare"),
        Topology("tripcare"),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("routing"),
    )


def connection(broker: Any) -> SimpleNamespace:
    """A robust connection that has not (re)connected: FastStream's ping waits for it."""
    opened = SimpleNamespace(connected=asyncio.Event())
    broker._connection = opened
    return opened


async def test_a_lost_connection_fails_the_check_at_once() -> None:
    checked = bus()
    opened = connection(checked.broker)
    for lost in checked.broker._on_close:
        await _called(lost(opened, ConnectionResetError("broker gone")))
    started = time.monotonic()
    assert await checked.is_connected() is False
    assert time.monotonic() - started < 0.5


async def test_a_restored_connection_passes_again() -> None:
    checked = bus()
    opened = connection(checked.broker)
    for lost in checked.broker._on_close:
        await _called(lost(opened, ConnectionResetError("broker gone")))
    opened.connected.set()
    for restored in checked.broker._on_reconnected:
        await _called(restored(opened))
    assert await checked.is_connected() is True


async def test_an_unknown_state_keeps_the_real_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = bus()
    connection(checked.broker)
    asked: list[float | None] = []

    async def ping(**asking: float | None) -> bool:
        asked.append(asking["timeout"])
        return True

    monkeypatch.setattr(checked.broker, "ping", ping)
    assert await checked.is_connected() is True
    assert asked == [2.0]


async def test_a_new_start_forgets_the_failed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A start that failed closed its connection (the close callbacks said lost); the
    next start's connection is a new one, which no reconnect callback announces."""
    checked = bus()
    opened = connection(checked.broker)
    for lost in checked.broker._on_close:
        await _called(lost(opened, None))
    opened.connected.set()

    async def nothing(*_: Any) -> Any:
        return opened

    monkeypatch.setattr(checked.broker, "connect", nothing)
    monkeypatch.setattr(checked.broker, "start", nothing)
    monkeypatch.setattr(checked, "_declare_support_topology", nothing)
    await checked.start()
    assert await checked.is_connected() is True


async def _called(result: Any) -> None:
    if asyncio.iscoroutine(result):
        await result
