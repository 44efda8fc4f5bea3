"""Replay dead-lettered messages once their cause is fixed.

``python -m runtime.dlq replay --queue tripcare.routing.ticket.opened [--limit N] [--dry-run]``

Messages are taken from ``<queue>.dlq`` and published back to the events
exchange with the routing key they were first published with (from the
broker's ``x-death`` header), keeping message id, correlation id and the
application's headers (trace context included), so idempotent consumers
recognise a message they already handled. ``--direct`` sends each message to
``<queue>`` alone through the default exchange instead, so other services
bound to the same routing key do not see it again.

At-least-once: a message is acked in the DLQ only after the broker confirmed
its republication, so a crash mid-replay duplicates at most, never loses.
At most the number of messages present at the start are replayed, so a
message that fails again and returns to the DLQ is not looped over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from contracts.topology import Topology
from runtime.settings import Settings, from_environment

BROKER_HEADERS = frozenset({"x-death", "x-delivery-count"})
"""Set by the broker on dead-lettering and redelivery; a replay starts afresh without them."""
BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")


@dataclass
class ReplayReport:
    """What a replay did (or, in a dry run, would do), message by message."""

    queue: str
    dead_letter_queue: str
    dry_run: bool
    found: int = 0
    replayed: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)


def original_routing_key(message: AbstractIncomingMessage, queue: str) -> str:
    """The routing key the message had before ``queue`` dead-lettered it.

    Falls back to the queue name's last part (``<namespace>.<service>.<key>``)
    for a message that carries no ``x-death`` entry for ``queue``.
    """
    deaths = message.headers.get("x-death")
    if isinstance(deaths, list):
        for death in deaths:
            if isinstance(death, dict) and death.get("queue") == queue:
                keys = death.get("routing-keys")
                if isinstance(keys, list) and keys:
                    return str(keys[0])
    return queue.split(".", 2)[2]


def death_reason(message: AbstractIncomingMessage) -> str:
    """Why the broker dead-lettered the message (``rejected``, ``delivery_limit``, …)."""
    reason = message.headers.get("x-first-death-reason")
    return str(reason) if reason is not None else "unknown"


def replay_headers(message: AbstractIncomingMessage, dead_letter_queue: str) -> dict[str, Any]:
    """The application's headers, without the broker's death bookkeeping, marked as replayed."""
    kept = {
        name: value
        for name, value in message.headers.items()
        if name not in BROKER_HEADERS and not name.startswith(BROKER_HEADER_PREFIXES)
    }
    kept["x-replayed-from"] = dead_letter_queue
    return kept


async def replay(
    amqp_url: str,
    queue: str,
    *,
    events_exchange: str,
    limit: int | None = None,
    dry_run: bool = False,
    direct: bool = False,
) -> ReplayReport:
    """Move up to ``limit`` messages from ``<queue>.dlq`` back to the bus."""
    dead_letter_queue = f"{queue}.dlq"
    report = ReplayReport(queue=queue, dead_letter_queue=dead_letter_queue, dry_run=dry_run)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        source = await channel.declare_queue(dead_letter_queue, passive=True)
        present = source.declaration_result.message_count or 0
        wanted = present if limit is None else min(limit, present)
        target = (
            channel.default_exchange
            if direct
            else await channel.get_exchange(events_exchange, ensure=True)
        )
        while report.found < wanted:
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            report.found += 1
            routing_key = queue if direct else original_routing_key(message, queue)
            report.messages.append(
                {
                    "message_id": message.message_id,
                    "routing_key": routing_key,
                    "reason": death_reason(message),
                }
            )
            if dry_run:
                continue  # held unacked: closing the channel returns it to the DLQ untouched
            await target.publish(
                aio_pika.Message(
                    message.body,
                    headers=replay_headers(message, dead_letter_queue),
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    type=message.type,
                    timestamp=message.timestamp,
                ),
                routing_key=routing_key,
                mandatory=True,
            )
            await message.ack()
            report.replayed += 1
    finally:
        await connection.close()
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print one JSON line per message and a summary; exit 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m runtime.dlq", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    replay_cmd = commands.add_parser("replay", help="move messages from <queue>.dlq back")
    replay_cmd.add_argument("--queue", required=True, help="the work queue, not its .dlq")
    replay_cmd.add_argument("--limit", type=int, default=None, help="at most this many")
    replay_cmd.add_argument("--dry-run", action="store_true", help="list, change nothing")
    replay_cmd.add_argument(
        "--direct", action="store_true", help="to <queue> only, not the events exchange"
    )
    replay_cmd.add_argument("--namespace", default=None, help="default: TRIPCARE_NAMESPACE")
    args = parser.parse_args(argv)

    settings = from_environment(Settings)
    namespace = args.namespace or settings.namespace
    report = asyncio.run(
        replay(
            settings.amqp_url,
            args.queue,
            events_exchange=Topology(namespace).events_exchange,
            limit=args.limit,
            dry_run=args.dry_run,
            direct=args.direct,
        )
    )
    for message in report.messages:
        print(json.dumps(message))
    verb = "would replay" if report.dry_run else "replayed"
    count = report.found if report.dry_run else report.replayed
    print(f"{verb} {count} of {report.found} from {report.dead_letter_queue}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
