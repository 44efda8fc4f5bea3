"""Dead-lettered messages go back to the bus with `python -m runtime.dlq replay` (real broker)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aio_pika
import pytest
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.envelope import Envelope
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.dlq import ORIGINAL_KEY_HEADER, replay
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from tests.factories import T0, TRAVELLER, envelope
from tests.polling import until

pytestmark = pytest.mark.integration

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@dataclass
class Consumer:
    """A ticket.opened consumer that fails while ``broken`` is set, like a bug awaiting a fix."""

    bus: Bus
    broken: bool = True
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def queue(self) -> str:
        return self.bus.topology.queue("itest", events.TicketOpened)


@pytest.fixture
async def consumer(settings: Settings) -> AsyncIterator[Consumer]:
    bus = Bus(
        settings,
        Topology(settings.namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    running = Consumer(bus)

    @bus.subscriber(events.TicketOpened)
    async def on_opened(envelope: Envelope[events.TicketOpened]) -> None:
        if running.broken:
            raise RuntimeError("bug: fails until fixed")
        running.seen.append((envelope.message_id, envelope.payload.ticket_id))

    await bus.start()
    yield running
    await bus.stop()


async def dead_letter(amqp_url: str, consumer: Consumer, count: int) -> list[str]:
    """Publish ``count`` ticket.opened events and wait until all are in the DLQ."""
    ids = [f"msg-{n}" for n in range(count)]
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(consumer.bus.topology.events_exchange)
    for n, message_id in enumerate(ids):
        body = envelope(
            events.TicketOpened(
                ticket_id=f"TC-{n}",
                channel=events.Channel.EMAIL,
                traveller=TRAVELLER,
                text="x",
                opened_at=T0,
            ),
            message_id=message_id,
        )
        await exchange.publish(
            aio_pika.Message(
                body.model_dump_json().encode(),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                content_type="application/json",
                message_id=message_id,
                headers={"traceparent": TRACEPARENT},
            ),
            routing_key="ticket.opened",
        )
    await connection.close()

    async def all_dead() -> bool:
        return await depth(amqp_url, f"{consumer.queue}.dlq") == count

    await until(all_dead, timeout_s=30)
    return ids


async def depth(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    declared = await channel.declare_queue(queue, passive=True)
    await connection.close()
    return declared.declaration_result.message_count or 0


async def test_replay_republishes_with_the_original_routing_key_id_and_headers(
    amqp_url: str, consumer: Consumer
) -> None:
    ids = await dead_letter(amqp_url, consumer, 3)
    topology = consumer.bus.topology

    dry = await replay(amqp_url, consumer.queue, topology=topology, dry_run=True)
    assert (dry.found, dry.replayed) == (3, 0)
    assert {m["routing_key"] for m in dry.messages} == {"ticket.opened"}
    assert {m["reason"] for m in dry.messages} == {"delivery_limit"}
    assert await depth(amqp_url, f"{consumer.queue}.dlq") == 3

    consumer.broken = False
    first = await replay(amqp_url, consumer.queue, topology=topology, limit=2)
    assert (first.found, first.replayed) == (2, 2)
    rest = await replay(amqp_url, consumer.queue, topology=topology)
    assert (rest.found, rest.replayed) == (1, 1)

    async def all_handled() -> bool:
        return len(consumer.seen) == 3

    await until(all_handled)
    assert sorted(consumer.seen) == [(message_id, f"TC-{n}") for n, message_id in enumerate(ids)]
    assert await depth(amqp_url, f"{consumer.queue}.dlq") == 0


async def test_replayed_message_keeps_its_headers_and_sheds_the_death_bookkeeping(
    amqp_url: str, consumer: Consumer
) -> None:
    await dead_letter(amqp_url, consumer, 1)
    await consumer.bus.stop()  # nobody consumes: the replayed message stays in the queue
    report = await replay(amqp_url, consumer.queue, topology=consumer.bus.topology, direct=True)
    assert report.replayed == 1

    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(consumer.queue, passive=True)
    message = await until(lambda: queue.get(no_ack=True, fail=False))
    await connection.close()
    assert message.message_id == "msg-0"
    assert message.headers["traceparent"] == TRACEPARENT
    assert message.headers["x-replayed-from"] == f"{consumer.queue}.dlq"
    assert message.headers[ORIGINAL_KEY_HEADER] == "ticket.opened"
    assert "x-death" not in message.headers
    assert not any(str(name).startswith("x-first-death-") for name in message.headers)


async def test_a_replay_after_a_direct_one_that_failed_again_reaches_the_queue(
    amqp_url: str, consumer: Consumer
) -> None:
    """The second death's ``x-death`` names the work queue (the default exchange's key):
    the kept header puts the message back on ``ticket.opened``, not in the unrouted queue."""
    await dead_letter(amqp_url, consumer, 1)
    topology = consumer.bus.topology
    dlq = f"{consumer.queue}.dlq"
    first = await replay(amqp_url, consumer.queue, topology=topology, direct=True)
    assert first.replayed == 1

    async def dead_again() -> bool:
        return await depth(amqp_url, dlq) == 1

    await until(dead_again, timeout_s=30)
    dry = await replay(amqp_url, consumer.queue, topology=topology, dry_run=True)
    assert [m["routing_key"] for m in dry.messages] == ["ticket.opened"]

    consumer.broken = False
    second = await replay(amqp_url, consumer.queue, topology=topology)
    assert (second.found, second.replayed, second.refused) == (1, 1, 0)

    async def handled() -> bool:
        return len(consumer.seen) == 1

    await until(handled)
    assert consumer.seen == [("msg-0", "TC-0")]
    assert await depth(amqp_url, topology.unrouted_queue) == 0
    assert await depth(amqp_url, dlq) == 0


async def test_a_message_whose_key_the_queue_is_not_bound_to_is_refused_and_kept(
    amqp_url: str, consumer: Consumer
) -> None:
    """Published to the events exchange it would reach other queues or the unrouted one,
    never this queue: it stays in the DLQ and the replay says so."""
    topology = consumer.bus.topology
    dlq = f"{consumer.queue}.dlq"
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    await channel.default_exchange.publish(
        aio_pika.Message(
            b"{}", message_id="odd-1", headers={ORIGINAL_KEY_HEADER: "ticket.resolved"}
        ),
        routing_key=dlq,
    )
    await connection.close()

    async def parked() -> bool:
        return await depth(amqp_url, dlq) == 1

    await until(parked)
    report = await replay(amqp_url, consumer.queue, topology=topology)
    assert (report.found, report.replayed, report.refused) == (1, 0, 1)
    assert "ticket.resolved" in report.messages[0]["refused"]
    await until(parked)
    assert await depth(amqp_url, topology.unrouted_queue) == 0


async def test_the_command_line_replays_and_reports(
    amqp_url: str, namespace: str, consumer: Consumer
) -> None:
    await dead_letter(amqp_url, consumer, 2)
    consumer.broken = False
    env = {**os.environ, "AMQP_URL": amqp_url, "TRIPCARE_NAMESPACE": namespace}
    command = [sys.executable, "-m", "runtime.dlq", "replay", "--queue", consumer.queue]

    dry = await asyncio.to_thread(
        subprocess.run, [*command, "--dry-run"], env=env, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    assert "would replay 2 of 2" in dry.stderr
    assert len(dry.stdout.splitlines()) == 2

    done = await asyncio.to_thread(subprocess.run, command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "replayed 2 of 2" in done.stderr

    async def both_handled() -> bool:
        return len(consumer.seen) == 2

    await until(both_handled)


async def test_the_command_line_takes_the_dlq_name_and_refuses_unknown_queues_in_one_line(
    amqp_url: str, namespace: str, consumer: Consumer
) -> None:
    """The runbook finds DLQs with ``list_queues | grep '\\.dlq'``: that name works too;
    a queue the broker does not have is one line saying so and a non-zero exit, no
    traceback (a typo of the event key was told to "replay it with --direct", a queue that
    does not exist either)."""
    await dead_letter(amqp_url, consumer, 2)
    env = {**os.environ, "AMQP_URL": amqp_url, "TRIPCARE_NAMESPACE": namespace}
    command = [sys.executable, "-m", "runtime.dlq", "replay", "--dry-run", "--queue"]

    def run(queue: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, queue, *extra], env=env, capture_output=True, text=True)

    by_dlq = await asyncio.to_thread(run, f"{consumer.queue}.dlq")
    assert by_dlq.returncode == 0, by_dlq.stderr
    assert f"would replay 2 of 2 from {consumer.queue}.dlq" in by_dlq.stderr

    for unknown in (
        f"{namespace}.itest.ticket.resolved",
        f"{namespace}.itest.ticket.resolved.dlq",
        f"{namespace}.nothing",
        f"{consumer.queue}d",
    ):
        for extra in ((), ("--direct",)):
            done = await asyncio.to_thread(run, unknown, *extra)
            assert done.returncode == 2, (unknown, extra)
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
            assert f"no queue {unknown.removesuffix('.dlq')} on this broker" in done.stderr
            assert "Traceback" not in done.stderr
            assert done.stdout == ""
    assert await depth(amqp_url, f"{consumer.queue}.dlq") == 2


async def test_replaying_messages_that_fail_again_ends_and_leaves_them_in_the_dlq(
    amqp_url: str, consumer: Consumer
) -> None:
    """A replay before the fix: each message fails again and returns to the DLQ (a malformed
    one at once, while the replay still runs); the replay takes only the messages present
    at its start, so it ends, and nothing is lost."""
    topology = consumer.bus.topology
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(topology.events_exchange)
    for n in range(20):
        await exchange.publish(
            aio_pika.Message(b'{"not": "an envelope"}', message_id=f"bad-{n}"),
            routing_key="ticket.opened",
        )
    await connection.close()

    async def all_dead() -> bool:
        return await depth(amqp_url, f"{consumer.queue}.dlq") == 20

    await until(all_dead, timeout_s=30)
    for _ in range(3):
        report = await asyncio.wait_for(replay(amqp_url, consumer.queue, topology=topology), 30)
        assert (report.found, report.replayed) == (20, 20)
        await until(all_dead, timeout_s=30)
    assert consumer.seen == []


async def test_a_broker_refusal_is_one_line_not_a_traceback(amqp_url: str, namespace: str) -> None:
    """A work queue and its DLQ whose namespace has no events exchange (deleted, or never
    declared by a service) made even a dry run end in aiormq's traceback."""
    queue = f"{namespace}.itest.ticket.opened"
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    for name in (queue, f"{queue}.dlq"):
        await channel.declare_queue(name, durable=True)
    await connection.close()
    env = {**os.environ, "AMQP_URL": amqp_url, "TRIPCARE_NAMESPACE": namespace}

    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "runtime.dlq", "replay", "--queue", queue, "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"{namespace}.events" in done.stderr
