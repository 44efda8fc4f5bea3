"""Poison messages end in the dead-letter queue; the consumer keeps going."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aio_pika
import orjson
import pytest
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from contracts import events
from contracts.envelope import Envelope
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.clock import FakeClock
from runtime.dlq import ReplayReport, replay
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import Document, Repository
from runtime.telemetry import setup_tracing
from services.intake.domain import Ticket, thread_key_for, ticket_id_for
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.intake.subscribers import register
from tests.factories import T0, TRAVELLER, contact, envelope
from tests.fakes import RecordingOutbox
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


async def test_an_event_about_a_ticket_intake_does_not_have_is_rejected_at_once_and_replayable(
    settings: Settings,
    mongo: AsyncMongoClient[Document],
    channel: aio_pika.abc.AbstractChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Intake writes every ticket before anything about it is published, so a
    ``ticket.routed`` naming one it does not have was waited for in vain, through the
    back-off and every redelivery: it is dead-lettered on its first delivery as
    ``rejected``, and ``dlq replay`` applies it once the ticket is there (a restored store)."""
    tickets = Repository(
        mongo[settings.namespace], "tickets", Ticket, RecordingOutbox(), FakeClock(T0)
    )
    intake = Intake(TicketStore(tickets), FakeClock(T0), Signer("s" * 32), "http://intake")
    bus = Bus(
        settings,
        Topology(settings.namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    register(bus, intake)
    await bus.start()
    try:
        ticket_id = ticket_id_for("acme", thread_key_for(contact()))
        stray = envelope(routed(ticket_id), message_id="m-stray").model_dump_json().encode()
        exchange = await channel.get_exchange(bus.topology.events_exchange)
        with caplog.at_level(logging.INFO):
            await exchange.publish(
                aio_pika.Message(stray, content_type="application/json", message_id="m-stray"),
                routing_key="ticket.routed",
            )
            queue = bus.topology.queue("itest", events.TicketRouted)
            dry = await until(lambda: _listed(settings.amqp_url, queue, bus.topology))
        assert [(m["message_id"], m["reason"]) for m in dry.messages] == [("m-stray", "rejected")]
        about = [r for r in caplog.records if ticket_id in r.getMessage()]
        assert [r.levelno for r in about] == [logging.WARNING], [r.getMessage() for r in about]
        labels = {"queue": queue, "reason": "rejected"}
        registry = bus.dead_letters.registry
        assert registry.get_sample_value("messages_dead_lettered_total", labels) == 1

        await intake.receive_contact("acme", contact())
        report = await replay(settings.amqp_url, queue, topology=bus.topology)
        assert report.replayed == 1

        async def routed_now() -> bool:
            ticket = await tickets.get("acme", ticket_id)
            return ticket is not None and ticket.queue == "general"

        assert await until(routed_now)
    finally:
        await bus.stop()


def routed(ticket_id: str) -> events.TicketRouted:
    return events.TicketRouted(
        ticket_id=ticket_id,
        traveller=TRAVELLER,
        queue="general",
        priority=events.Priority.NORMAL,
        first_response_due=T0 + timedelta(hours=1),
        resolution_due=T0 + timedelta(hours=8),
        reason="category general",
        routed_at=T0,
    )


async def _listed(amqp_url: str, queue: str, topology: Topology) -> ReplayReport | None:
    """The DLQ's dry run once it holds a message, else None (``until`` asks again)."""
    dry = await replay(amqp_url, queue, topology=topology, dry_run=True)
    return dry if dry.found else None


async def test_a_body_over_the_size_limit_is_dead_lettered_at_once_unparsed(
    settings: Settings,
    channel: aio_pika.abc.AbstractChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A valid ``ticket.opened`` padded past ``TRIPCARE_MAX_MESSAGE_BYTES`` reaches no handler:
    the broker records it ``rejected`` on its first delivery, and the next message flows."""
    limit = 64 * 1024
    bus = Bus(
        settings.model_copy(update={"max_message_bytes": limit}),
        Topology(settings.namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    seen: list[str] = []

    @bus.subscriber(events.TicketOpened)
    async def on_opened(envelope: Envelope[events.TicketOpened]) -> None:
        seen.append(envelope.payload.ticket_id)

    big = opened("TC-big").model_copy(update={"text": "x" * (limit + 1)})
    oversized = envelope(big).model_dump_json().encode()
    await bus.start()
    try:
        with caplog.at_level(logging.INFO):
            await publish(channel, bus, oversized, "m-big")
            await publish(channel, bus, envelope(opened("TC-good")).model_dump_json().encode())
            assert await dead_letters(channel, bus, 1) == [oversized]

        async def good_seen() -> bool:
            return seen == ["TC-good"]

        assert await until(good_seen)
        assert dead_lettered(bus, "rejected") == 1
        [line] = [r.getMessage() for r in caplog.records if "m-big" in r.getMessage()]
        assert f"its body is {len(oversized):,} bytes, over the limit of 65,536" in line
    finally:
        await bus.stop()
