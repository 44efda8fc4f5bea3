"""What consuming one message costs a service before its handler does any work (#20).

``python bench/consumer_overhead.py [--messages 3000] [--runs 3]`` fills a fresh quorum
queue on RabbitMQ (``AMQP_URL``) with envelopes, then consumes them all with a handler
that only parses the envelope, seven ways: raw aio-pika (parse, ack), a plain FastStream
subscriber, and FastStream with each of the middlewares ``runtime/bus.py`` may install
(the consumer policy, OpenTelemetry, Prometheus), then with all three as the services
run when spans are exported, and with the carried trace in OpenTelemetry's place as
they run when nothing is (``runtime.telemetry.records_spans``). CPU time of this
process from the first delivery to the last, per message; the median of the runs.

It bounds what batching deliveries at the consumer could save: the difference between
the full stack and raw aio-pika, times the messages a contact causes (8 consumed).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aio_pika  # noqa: E402
from faststream.middlewares import AckPolicy  # noqa: E402
from faststream.rabbit import Channel, QueueType, RabbitBroker, RabbitQueue  # noqa: E402
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware  # noqa: E402
from faststream.rabbit.prometheus import RabbitPrometheusMiddleware  # noqa: E402
from medians import print_medians  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from pamqp.common import FieldTable  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402
from subscriber_context import message  # noqa: E402

from contracts import events  # noqa: E402
from contracts.envelope import Envelope  # noqa: E402
from runtime.bus import CarriedTraceConsumer  # noqa: E402
from runtime.consumer_policy import ConsumerPolicy  # noqa: E402
from runtime.telemetry import UNREAD  # noqa: E402

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
QUORUM: FieldTable = {"x-queue-type": "quorum"}
Middleware = Callable[[], Any]
MIDDLEWARES: dict[str, Middleware] = {
    "policy": lambda: ConsumerPolicy(30.0),
    "otel": lambda: RabbitTelemetryMiddleware(tracer_provider=TracerProvider(sampler=UNREAD)),
    "carried": lambda: CarriedTraceConsumer,
    "prometheus": lambda: RabbitPrometheusMiddleware(
        registry=CollectorRegistry(), app_name="bench"
    ),
}
VARIANTS: dict[str, tuple[str, ...] | None] = {
    "raw aio-pika": None,
    "FastStream": (),
    "+ consumer policy": ("policy",),
    "+ OpenTelemetry": ("otel",),
    "+ Prometheus": ("prometheus",),
    "+ all three (spans exported)": ("policy", "otel", "prometheus"),
    "+ policy, carried trace, Prometheus": ("policy", "carried", "prometheus"),
}


async def filled_queue(count: int) -> str:
    name = f"bench-consumer-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(name, durable=True, arguments=QUORUM)
        body = message()
        for _ in range(count):
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=name,
            )
    return name


async def delete_queue(name: str) -> None:
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)


async def raw(name: str, count: int) -> float:
    done, seen = asyncio.Event(), 0
    connection = await aio_pika.connect(URL)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        queue = await channel.declare_queue(name, durable=True, arguments=QUORUM)

        async def on_message(delivery: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            Envelope[events.SurveySent].model_validate_json(delivery.body)
            await delivery.ack()
            seen += 1
            if seen == count:
                done.set()

        started = time.process_time()
        await queue.consume(on_message)
        await asyncio.wait_for(done.wait(), 300)
        return time.process_time() - started


async def faststream(name: str, count: int, names: tuple[str, ...]) -> float:
    done, seen = asyncio.Event(), 0
    middlewares = [MIDDLEWARES[n]() for n in names]
    broker = RabbitBroker(
        URL,
        default_channel=Channel(prefetch_count=100),
        log_level=logging.DEBUG,
        middlewares=middlewares,
    )

    @broker.subscriber(
        RabbitQueue(name, queue_type=QueueType.QUORUM, durable=True),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def handle(envelope: Envelope[events.SurveySent]) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            done.set()

    started = time.process_time()
    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 300)
        return time.process_time() - started
    finally:
        await broker.stop()


async def main(count: int, runs: int) -> None:
    results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for _ in range(runs):
        for variant, names in VARIANTS.items():
            name = await filled_queue(count)
            try:
                spent = await (
                    raw(name, count) if names is None else faststream(name, count, names)
                )
            finally:
                await delete_queue(name)
            results[variant].append(spent / count * 1e6)
    print_medians(results, "message", f"{count} messages")


if __name__ == "__main__":
    logging.getLogger("aiormq").setLevel(logging.ERROR)
    logging.getLogger("aio_pika").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.runs))
