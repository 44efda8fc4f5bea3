"""The console feed's queue on the real broker: it takes ticket events while a console is
connected to the replica, and none once the last one has gone (#20)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import pytest
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from services.intake.live_feed import LiveFeed, subscribe_feed
from tests.factories import T0, contact, envelope

pytestmark = pytest.mark.integration


@pytest.fixture
async def channel(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(amqp_url)
    yield await connection.channel()
    await connection.close()


async def test_the_feed_takes_ticket_events_only_while_a_console_listens(
    amqp_url: str, namespace: str, channel: aio_pika.abc.AbstractChannel
) -> None:
    bus = Bus(
        Settings(service="intake", namespace=namespace, amqp_url=amqp_url),
        Topology(namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("intake"),
    )
    feed = LiveFeed()

    async def applied(tenant: str, ticket_id: str, message_id: str) -> bool:
        return True

    binding = subscribe_feed(bus, feed, applied)
    await bus.start()
    try:
        await binding.reconcile()  # the worker's first look: nobody listens
        assert await parked_after_publishing(bus, channel, "TC-1") == 1, "unbound: unrouted"

        listener = await feed.listen("acme")  # bound before the response starts
        assert await parked_after_publishing(bus, channel, "TC-2") == 0
        stream = feed.stream("acme", listener, keepalive_s=5, max_s=10)
        assert await anext(stream) == "retry: 1000\n\n"
        waiting = asyncio.ensure_future(anext(stream))
        assert "TC-2" in await asyncio.wait_for(waiting, 5)
        await stream.aclose()

        await binding.reconcile()
        assert await parked_after_publishing(bus, channel, "TC-3") == 1
    finally:
        await bus.stop()


async def parked_after_publishing(
    bus: Bus, channel: aio_pika.abc.AbstractChannel, ticket_id: str
) -> int:
    """Publish one ``ticket.opened``: 1 if nothing took it (the unrouted queue did), else 0."""
    parked = await channel.declare_queue(bus.topology.unrouted_queue, passive=True)
    before = parked.declaration_result.message_count
    opened = events.TicketOpened(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=contact().traveller,
        text="hi",
        opened_at=T0,
    )
    exchange = await channel.get_exchange(bus.topology.events_exchange)
    await exchange.publish(
        aio_pika.Message(envelope(opened).model_dump_json().encode()),
        routing_key="ticket.opened",
    )
    await asyncio.sleep(0.3)
    parked = await channel.declare_queue(bus.topology.unrouted_queue, passive=True)
    return int(parked.declaration_result.message_count or 0) - int(before or 0)
