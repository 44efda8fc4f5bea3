"""Notify's acknowledgement-lag reports on the real broker: heard by every intake replica,
and harmless to publish before any intake has started."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aio_pika
import pytest
from prometheus_client import CollectorRegistry

from contracts.topology import Topology
from runtime.admission import LagWindow
from runtime.aggregate import OutboxMessage
from runtime.bus import PUBLISHED_HEADER, Bus
from runtime.clock import FakeClock
from runtime.lag_reports import LagReporter, hear_lag_reports
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from tests.factories import T0

pytestmark = pytest.mark.integration

BusFor = Callable[[str], Bus]


@pytest.fixture
async def bus_for(amqp_url: str, namespace: str) -> AsyncIterator[BusFor]:
    made: list[Bus] = []

    def make(service: str) -> Bus:
        settings = Settings(service=service, namespace=namespace, amqp_url=amqp_url)
        bus = Bus(
            settings,
            Topology(namespace),
            registry=CollectorRegistry(),
            tracer_provider=setup_tracing(service),
        )
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.stop()


async def test_reports_published_before_any_intake_listens_break_nothing(
    bus_for: BusFor, amqp_url: str
) -> None:
    notify = bus_for("notify")
    await notify.start()
    lags = LagReporter(notify, FakeClock(T0 + timedelta(seconds=1)))
    lags.taken_up(T0)
    await lags.publish()

    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    listener = await channel.declare_queue(exclusive=True)
    await listener.bind(notify.topology.events_exchange, routing_key="#")
    message = OutboxMessage(
        message_id="m-1", routing_key="notification.failed", body="{}", correlation_id="c-1"
    )
    await notify.publish(message)
    got = await listener.get(timeout=5, no_ack=True)
    await connection.close()
    assert got.message_id == "m-1", "the bus publishes as before after a report nobody heard"
    assert isinstance((got.headers or {}).get(PUBLISHED_HEADER), int), "stamped when published"


async def test_every_intake_replica_hears_every_report(bus_for: BusFor) -> None:
    windows = [LagWindow(least=1), LagWindow(least=1)]
    for window in windows:
        replica = bus_for("intake")
        hear_lag_reports(replica, window, FakeClock(T0 + timedelta(seconds=3)))
        await replica.start()
    notify = bus_for("notify")
    await notify.start()
    lags = LagReporter(notify, FakeClock(T0 + timedelta(seconds=3)))
    for _ in range(3):
        lags.taken_up(T0)
    await lags.publish()
    for _ in range(100):
        if all(w.median() for w in windows):
            break
        await asyncio.sleep(0.05)
    assert [w.median() for w in windows] == [3.0, 3.0]
