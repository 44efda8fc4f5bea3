"""Announced events on the real broker: routing's incident events go to the announced
exchange (dropped unheard, taken by an outside subscriber's own queue), never to the
unrouted queue, which stays the safety net for real mis-routing."""

from __future__ import annotations

import aio_pika
import pytest
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.topology import Topology
from runtime.aggregate import OutboxMessage
from runtime.bus import Bus
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from tests.polling import until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("event", [events.IncidentOpened, events.IncidentUpdated])
async def test_an_incident_event_reaches_an_outside_subscriber_and_never_the_unrouted_queue(
    amqp_url: str, namespace: str, event: type[events.Event]
) -> None:
    topology = Topology(namespace)
    bus = Bus(
        Settings(service="routing", namespace=namespace, amqp_url=amqp_url),
        topology,
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("routing"),
    )
    await bus.start()
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await bus.publish(outbox_message("unheard", event))  # nobody listens: no failure
        outside = await channel.declare_queue(exclusive=True)
        await outside.bind(topology.events_exchange, routing_key=event.schema_name)
        await bus.publish(outbox_message("heard", event))
        taken = await until(lambda: outside.get(no_ack=True, fail=False))
        assert taken.message_id == "heard"
        unrouted = await channel.declare_queue(topology.unrouted_queue, passive=True)
        assert unrouted.declaration_result.message_count == 0
    finally:
        await connection.close()
        await bus.stop()


def outbox_message(message_id: str, event: type[events.Event]) -> OutboxMessage:
    return OutboxMessage(
        message_id=message_id, correlation_id="c", routing_key=event.schema_name, body="{}"
    )
