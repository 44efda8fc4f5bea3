"""What a subscriber's dependency costs per message on the real broker.

``python bench/subscriber_context.py [--messages 3000] [--runs 5]`` publishes the
messages to a fresh queue on RabbitMQ (``AMQP_URL``), then a fresh broker consumes
them all with a no-op use case, and the process CPU time from start to the last
message is divided by their number. Three ways to give the subscriber its use case,
interleaved: a closure (no injection), FastStream's ``Context`` and
``runtime.context.Provided``. The median of the runs is printed with all runs;
CPU time, not wall time, so other processes on the machine matter less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faststream import Context  # noqa: E402
from faststream.rabbit import RabbitBroker, RabbitQueue  # noqa: E402
from medians import print_medians  # noqa: E402

from contracts import events  # noqa: E402
from contracts.envelope import Envelope  # noqa: E402
from runtime.context import Provided  # noqa: E402

URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


class UseCase:
    def __init__(self, expected: int) -> None:
        self.expected, self.seen = expected, 0
        self.done = asyncio.Event()

    async def notify(self, envelope: Envelope[Any]) -> None:
        self.seen += 1
        if self.seen == self.expected:
            self.done.set()


async def by_context(
    envelope: Envelope[events.SurveySent], use_case: Annotated[UseCase, Context("use_case")]
) -> None:
    await use_case.notify(envelope)


async def by_provided(
    envelope: Envelope[events.SurveySent], use_case: Annotated[UseCase, Provided("use_case")]
) -> None:
    await use_case.notify(envelope)


def closure(broker: RabbitBroker, queue: RabbitQueue, use_case: UseCase) -> None:
    @broker.subscriber(queue)
    async def survey_sent(envelope: Envelope[events.SurveySent]) -> None:
        await use_case.notify(envelope)


def context(broker: RabbitBroker, queue: RabbitQueue, use_case: UseCase) -> None:
    broker.context.set_global("use_case", use_case)
    broker.subscriber(queue)(by_context)


def provided(broker: RabbitBroker, queue: RabbitQueue, use_case: UseCase) -> None:
    broker.context.set_global("use_case", use_case)
    broker.subscriber(queue)(by_provided)


Wiring = Callable[[RabbitBroker, RabbitQueue, UseCase], None]
WIRINGS: dict[str, Wiring] = {"closure": closure, "Context": context, "Provided": provided}


def message() -> bytes:
    now = datetime.now(UTC)
    survey = events.SurveySent(
        survey_id="S-1",
        ticket_id="TC-1",
        traveller=events.Traveller(id="trav-1"),
        survey_url="https://feedback.example/s/1",
        sent_at=now,
    )
    envelope = Envelope[Any](
        message_id=uuid.uuid4().hex,
        correlation_id="TC-1",
        tenant_id="acme",
        occurred_at=now,
        schema_name=survey.schema_name,
        schema_version=survey.schema_version,
        payload=survey,
    )
    return envelope.model_dump_json().encode()


async def cpu_per_message(wire: Wiring, count: int) -> float:
    queue = RabbitQueue(f"bench-subscriber-{uuid.uuid4().hex[:8]}", auto_delete=True)
    body = message()
    async with RabbitBroker(URL) as publisher:
        await publisher.declare_queue(queue)
        for _ in range(count):
            await publisher.publish(body, queue.name)
        use_case = UseCase(count)
        broker = RabbitBroker(URL, log_level=10)
        wire(broker, queue, use_case)
        started = time.process_time()
        await broker.start()
        await asyncio.wait_for(use_case.done.wait(), 300)
        spent = time.process_time() - started
        await broker.stop()
    return spent / count * 1e6


async def main(count: int, runs: int) -> None:
    results: dict[str, list[float]] = {name: [] for name in WIRINGS}
    for _ in range(runs):
        for name, wire in WIRINGS.items():
            results[name].append(await cpu_per_message(wire, count))
    print_medians(results, "message", f"{count} messages")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.runs))
