"""Poison messages end in the dead-letter queue; the consumer keeps going."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aio_pika
import orjson
import pytest
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.envelope import Envelope
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from tests.factories import T0, TRAVELLER, envelope
from tests.polling import until

pytestmark = pytest.mark.integration


def opened(ticket_id: str) -> events.TicketOpened:
    return events.TicketOpened(
        ticket_id=ticket_id,
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        text="x",
        opened_at=T0,
    )


@pytest.fixture
async def handled(settings: Settings) -> AsyncIterator[tuple[Bus, list[str]]]:
    """A consumer of ticket.opened that fails for every ticket named ``poison``."""
    bus = Bus(
        settings,
        Topology(settings.namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    seen: list[str] = []

    @bus.subscriber(events.TicketOpened)
    async def on_opened(envelope: Envelope[events.TicketOpened]) -> None:
        if envelope.payload.ticket_id == "poison":
            raise RuntimeError("this handler always fails for poison")
        seen.append(envelope.payload.ticket_id)

    await bus.start()
    yield bus, seen
    await bus.stop()


@pytest.fixture
async def channel(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(amqp_url)
    yield await connection.channel()
    await connection.close()


async def publish(
    channel: aio_pika.abc.AbstractChannel, bus: Bus, body: bytes, message_id: str | None = None
) -> None:
    exchange = await channel.get_exchange(bus.topology.events_exchange)
    await exchange.publish(
        aio_pika.Message(
            body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/json",
            message_id=message_id,
        ),
        routing_key="ticket.opened",
    )


def dead_lettered(bus: Bus, reason: str) -> float:
    """``messages_dead_lettered_total`` on the bus's registry, for ticket.opened's queue."""
    queue = bus.topology.queue("itest", events.TicketOpened)
    sample = bus.dead_letters.registry.get_sample_value(
        "messages_dead_lettered_total", {"queue": queue, "reason": reason}
    )
    return sample or 0.0


async def dead_letters(
    channel: aio_pika.abc.AbstractChannel, bus: Bus, expected: int, timeout_s: float = 15
) -> list[bytes]:
    queue = await channel.get_queue(bus.topology.dead_letter_queue("itest", events.TicketOpened))
    bodies: list[bytes] = []
    deadline = asyncio.get_running_loop().time() + timeout_s
    while len(bodies) < expected and asyncio.get_running_loop().time() < deadline:
        message = await queue.get(no_ack=True, fail=False)
        if message is None:
            await asyncio.sleep(0.1)
        else:
            bodies.append(message.body)
    return bodies


def opened_as(**envelope_fields: object) -> bytes:
    """A well-formed ticket.opened envelope with some of its envelope fields changed."""
    body = envelope(opened("TC-odd")).model_dump(mode="json")
    return orjson.dumps({**body, **envelope_fields})


@pytest.mark.parametrize(
    "malformed",
    [
        b"not json at all",
        b'{"message_id": "m1"}',
        b'{"payload": {"ticket_id": 5}}',
        opened_as(schema_version=2),
        opened_as(schema_name="ticket.closed"),
        opened_as(occurred_at="2026-11-25T02:00:00"),
        opened_as(payload={**opened("TC-odd").model_dump(mode="json"), "opened_at": "2026-11-25"}),
    ],
    ids=[
        "not-json",
        "missing-fields",
        "wrong-types",
        "future-version",
        "other-event",
        "time-without-zone",
        "payload-time-without-zone",
    ],
)
async def test_a_malformed_message_is_dead_lettered_at_once_and_traffic_flows_on(
    handled: tuple[Bus, list[str]], channel: aio_pika.abc.AbstractChannel, malformed: bytes
) -> None:
    bus, seen = handled
    await publish(channel, bus, malformed)
    await publish(channel, bus, envelope(opened("TC-good")).model_dump_json().encode())

    assert await dead_letters(channel, bus, 1) == [malformed]
    assert dead_lettered(bus, "rejected") == 1

    async def good_seen() -> bool:
        return seen == ["TC-good"]

    assert await until(good_seen)


async def test_a_handler_that_always_fails_is_dead_lettered_within_the_delivery_limit(
    handled: tuple[Bus, list[str]], channel: aio_pika.abc.AbstractChannel
) -> None:
    bus, seen = handled
    poison = envelope(opened("poison")).model_dump_json().encode()
    await publish(channel, bus, poison)
    for n in range(5):
        await publish(channel, bus, envelope(opened(f"TC-{n}")).model_dump_json().encode())

    assert await dead_letters(channel, bus, 1, timeout_s=20) == [poison]
    assert dead_lettered(bus, "delivery_limit") == 1, "counted once, on its last delivery"

    async def all_five() -> bool:
        return len(seen) == 5

    await until(all_five)
    assert sorted(seen) == [f"TC-{n}" for n in range(5)]


async def test_a_failing_handler_is_logged_with_its_traceback_once_not_on_every_delivery(
    handled: tuple[Bus, list[str]],
    channel: aio_pika.abc.AbstractChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first delivery's failure is logged with the handler's traceback; each redelivery
    is one line, the last one saying the message was dead-lettered."""
    bus, _ = handled
    poison = envelope(opened("poison"), message_id="m-poison").model_dump_json().encode()
    with caplog.at_level(logging.INFO):
        await publish(channel, bus, poison, "m-poison")
        assert await dead_letters(channel, bus, 1, timeout_s=20) == [poison]

    about = [r for r in caplog.records if "m-poison" in r.getMessage()]
    about += [r for r in caplog.records if getattr(r, "message_id", None) == "m-poison"]
    assert len([r for r in about if r.exc_info]) == 1, [r.getMessage() for r in about]
    retried = [r for r in about if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in retried] == [
        "message m-poison failed again on delivery 2 of 3, requeued: "
        "RuntimeError: this handler always fails for poison"
    ]
    [gave_up] = [r for r in about if "dead-lettered" in r.getMessage()]
    assert gave_up.levelno == logging.ERROR
    assert gave_up.getMessage() == (
        "message m-poison dead-lettered after 3 deliveries: "
        "RuntimeError: this handler always fails for poison"
    )
