"""Publishing events onto a namespace's bus as another service would, for end-to-end tests."""

from __future__ import annotations

import aio_pika

from contracts.envelope import Event
from contracts.topology import Topology
from tests.factories import envelope


async def publish(amqp_url: str, namespace: str, tenant: str, *messages: tuple[str, Event]) -> None:
    """Persistent envelopes (``message_id``, payload) on the events exchange, in order."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(Topology(namespace).events_exchange)
        for message_id, payload in messages:
            body = envelope(payload, tenant=tenant, message_id=message_id).model_dump_json()
            await exchange.publish(
                aio_pika.Message(
                    body.encode(),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    content_type="application/json",
                    message_id=message_id,
                ),
                routing_key=payload.schema_name,
            )
