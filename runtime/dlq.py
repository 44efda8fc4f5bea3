"""Replay dead-lettered messages once their cause is fixed, or discard those that never apply.

``python -m runtime.dlq replay --queue tripcare.routing.ticket.opened [--limit N] [--dry-run]``
``python -m runtime.dlq discard --queue … (--message-id ID … | --reason rejected) [--dry-run]``

Messages are taken from ``<queue>.dlq`` and published back to the events
exchange with the routing key they were first published with, keeping message
id, correlation id and the application's headers (trace context included), so
idempotent consumers recognise a message they already handled. ``--direct``
sends each message to ``<queue>`` alone through the default exchange instead,
so other services bound to the same routing key do not see it again.

The first key is kept in a header of our own (``ORIGINAL_KEY_HEADER``) across
replays: after a ``--direct`` replay the broker's ``x-death`` names the queue,
which the events exchange would route nowhere but to its alternate exchange
(the unrouted queue), confirmed and unseen. So the exchange path takes only
the event key the queue is bound to; any other message is refused and left in
the DLQ, and the command exits non-zero.

At-least-once: a message is acked in the DLQ only after the broker confirmed
its republication, so a crash mid-replay duplicates at most, never loses.
At most the number of messages present at the start are replayed, so a
message that fails again and returns to the DLQ is not looped over.

``discard`` deletes the named messages (or those of one death reason) from the DLQ
for good: a ``rejected`` one would only be rejected again, and until it is gone
``DeadLetteredMessagesWaiting`` fires. Every other message is held unacked while the
DLQ is read and goes back to it untouched. Its dry run also shows each body, cut.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractExchange, AbstractIncomingMessage

from contracts.events import ALL_EVENTS
from contracts.topology import Topology
from runtime.dlq_arguments import arguments
from runtime.settings import Settings, from_environment
from runtime.startup import reason

BROKER_HEADERS = frozenset({"x-death", "x-delivery-count"})
"""Set by the broker on dead-lettering and redelivery; a replay starts afresh without them."""
BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
ORIGINAL_KEY_HEADER = "x-original-routing-key"
"""The routing key the message was first published with, set by the first replay."""
EVENT_KEYS = frozenset(event.schema_name for event in ALL_EVENTS)
BODY_PREVIEW_CHARS = 500
"""A dry-run discard shows this much of each body: enough to decide, never a whole dump."""


class ReplayError(Exception):
    """The replay cannot start; its message is the one line the operator reads."""


@dataclass
class ReplayReport:
    """What a replay did (or, in a dry run, would do), message by message."""

    queue: str
    dead_letter_queue: str
    dry_run: bool
    found: int = 0
    replayed: int = 0
    refused: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DiscardReport:
    """What a discard did (or, in a dry run, would do): the messages it matched."""

    dead_letter_queue: str
    dry_run: bool
    found: int = 0
    discarded: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Message ids named but not in the DLQ."""


def _text(value: Any) -> str | None:
    """A header value as text: the broker's tables carry strings as ``str`` or ``bytes``."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace") or None
    return value or None if isinstance(value, str) else None


def body_preview(body: bytes) -> str:
    """The body as text (what is not UTF-8 replaced), cut at ``BODY_PREVIEW_CHARS``."""
    text = body.decode("utf-8", "replace")
    if len(text) <= BODY_PREVIEW_CHARS:
        return text
    return f"{text[:BODY_PREVIEW_CHARS]}… ({len(text)} characters)"


def work_queue(name: str) -> str:
    """The work queue an operator named, by itself or by its DLQ (what ``list_queues`` shows)."""
    return name.removesuffix(".dlq")


def bound_key(queue: str, namespace: str) -> str | None:
    """The event key the work queue is bound with (``<namespace>.<service>.<key>``), or
    None when the name is no event queue of the namespace."""
    service, _, key = queue.removeprefix(f"{namespace}.").partition(".")
    if not queue.startswith(f"{namespace}.") or not service or key not in EVENT_KEYS:
        return None
    return key


def original_routing_key(headers: Mapping[str, Any], queue: str, namespace: str) -> str | None:
    """The routing key the message was first published with.

    Our header when an earlier replay set it; else the oldest ``x-death`` entry that
    came through an exchange (one through the default exchange, a ``--direct`` replay,
    names the queue); else the key the queue is bound to.
    """
    if kept := _text(headers.get(ORIGINAL_KEY_HEADER)):
        return kept
    deaths = headers.get("x-death")
    for death in reversed(deaths) if isinstance(deaths, list) else ():
        if not isinstance(death, Mapping) or not _text(death.get("exchange")):
            continue
        keys = death.get("routing-keys")
        if isinstance(keys, list) and keys and (key := _text(keys[0])):
            return key
    return bound_key(queue, namespace)


def refusal(routing_key: str | None, queue: str, namespace: str) -> str | None:
    """Why the events exchange would not deliver ``routing_key`` to ``queue``, or None."""
    bound = bound_key(queue, namespace)
    if bound is None:
        return (
            f"{queue} is no event queue of namespace {namespace} "
            "(<namespace>.<service>.<event key>): replay it with --direct"
        )
    if routing_key != bound:
        return (
            f"routing key {routing_key!r} is not {bound!r}, the key {queue} is bound to: "
            "the events exchange would not deliver it there; replay it with --direct"
        )
    return None


def death_reason(message: AbstractIncomingMessage) -> str:
    """Why the broker dead-lettered the message (``rejected``, ``delivery_limit``, …)."""
    reason = message.headers.get("x-first-death-reason")
    return str(reason) if reason is not None else "unknown"


def replay_headers(
    headers: Mapping[str, Any], dead_letter_queue: str, original_key: str | None
) -> dict[str, Any]:
    """The application's headers, without the broker's death bookkeeping, marked as replayed
    and carrying the original routing key for the next replay."""
    kept = {
        name: value
        for name, value in headers.items()
        if name not in BROKER_HEADERS and not name.startswith(BROKER_HEADER_PREFIXES)
    }
    kept["x-replayed-from"] = dead_letter_queue
    if original_key is not None:
        kept[ORIGINAL_KEY_HEADER] = original_key
    return kept


async def replay(
    amqp_url: str,
    queue: str,
    *,
    topology: Topology,
    limit: int | None = None,
    dry_run: bool = False,
    direct: bool = False,
) -> ReplayReport:
    """Move up to ``limit`` messages from ``<queue>.dlq`` back to the bus (``queue`` may
    name the DLQ itself)."""
    queue = work_queue(queue)
    dead_letter_queue = f"{queue}.dlq"
    report = ReplayReport(queue=queue, dead_letter_queue=dead_letter_queue, dry_run=dry_run)
    connection = await _connect(amqp_url)
    try:
        # the broker first: a typo is "no queue", not a name to replay with --direct
        await _depth(connection, queue)
        if not direct and bound_key(queue, topology.namespace) is None:
            raise ReplayError(refusal(None, queue, topology.namespace))
        present = await _depth(connection, dead_letter_queue)
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        source = await channel.declare_queue(dead_letter_queue, passive=True)
        wanted = present if limit is None else min(limit, present)
        target = (
            channel.default_exchange
            if direct
            else await channel.get_exchange(topology.events_exchange, ensure=True)
        )
        while report.found < wanted:
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            await _replay_one(message, report, target, topology.namespace, direct=direct)
    finally:
        await connection.close()
    return report


async def discard(
    amqp_url: str,
    queue: str,
    *,
    message_ids: Collection[str] = (),
    reason: str | None = None,
    dry_run: bool = False,
) -> DiscardReport:
    """Delete from ``<queue>.dlq`` the messages with these ids, or with this death reason
    (``queue`` may name the DLQ itself); the others stay."""
    dead_letter_queue = f"{work_queue(queue)}.dlq"
    report = DiscardReport(dead_letter_queue=dead_letter_queue, dry_run=dry_run)
    connection = await _connect(amqp_url)
    try:
        present = await _depth(connection, dead_letter_queue)
        channel = await connection.channel()
        source = await channel.declare_queue(dead_letter_queue, passive=True)
        seen: set[str] = set()
        while report.found < present:
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            report.found += 1
            entry = {"message_id": message.message_id, "reason": death_reason(message)}
            entry |= {"body": body_preview(message.body)} if dry_run else {}
            seen.add(str(message.message_id))
            if message.message_id in message_ids or entry["reason"] == reason:
                report.messages.append(entry)
                if not dry_run:
                    await message.ack()
                    report.discarded += 1
    finally:
        await connection.close()  # what was not acked goes back to the DLQ
    report.missing = sorted(set(message_ids) - seen)
    return report


async def _connect(amqp_url: str) -> AbstractConnection:
    try:
        return await aio_pika.connect(amqp_url)
    except OSError as exc:  # aiormq's AMQPConnectionError is a ConnectionError
        raise ReplayError(
            f"cannot reach the broker AMQP_URL names ({type(exc).__name__})"
        ) from None


async def _depth(connection: AbstractConnection, queue: str) -> int:
    """How many messages ``queue`` holds; a ``ReplayError`` when the broker has no such queue
    (a passive declaration of a missing one closes its channel, so each gets its own)."""
    channel = await connection.channel()
    try:
        declared = await channel.declare_queue(queue, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        raise ReplayError(
            f"no queue {queue} on this broker: name a work queue "
            "(<namespace>.<service>.<event key>) or its .dlq, as `rabbitmqctl list_queues` shows"
        ) from None
    await channel.close()
    return declared.declaration_result.message_count or 0


async def _replay_one(
    message: AbstractIncomingMessage,
    report: ReplayReport,
    target: AbstractExchange,
    namespace: str,
    *,
    direct: bool,
) -> None:
    """Republish one message and ack it once confirmed; a refused one (or any, in a dry run)
    is held unacked, and closing the channel returns it to the DLQ untouched."""
    original = original_routing_key(message.headers, report.queue, namespace)
    routing_key = report.queue if direct else original
    refused = None if direct else refusal(original, report.queue, namespace)
    entry = {
        "message_id": message.message_id,
        "routing_key": routing_key,
        "reason": death_reason(message),
    }
    report.found += 1
    if refused is not None:
        entry["refused"] = refused
        report.refused += 1
    report.messages.append(entry)
    if report.dry_run or refused is not None or routing_key is None:
        return
    await target.publish(
        aio_pika.Message(
            message.body,
            headers=replay_headers(message.headers, report.dead_letter_queue, original),
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


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print one JSON line per message and a summary on stderr. Exit 0 when
    every message found was replayed (or, in a dry run, would be) or every id named was
    discarded, 1 when some were refused or not found, 2 when the command cannot start."""
    args = arguments(__doc__).parse_args(argv)
    settings = from_environment(Settings)
    try:
        if args.command == "discard":
            return _discard(settings, args)
        return _replay(settings, args)
    except ReplayError as exc:
        print(f"dlq: {exc}", file=sys.stderr)
        return 2
    except aio_pika.exceptions.AMQPError as exc:  # what was not acked stays in the DLQ
        print(f"dlq: the broker refused: {reason(exc)}", file=sys.stderr)
        return 2


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    namespace = args.namespace or settings.namespace
    report = asyncio.run(
        replay(
            settings.amqp_url,
            args.queue,
            topology=Topology(namespace),
            limit=args.limit,
            dry_run=args.dry_run,
            direct=args.direct,
        )
    )
    for message in report.messages:
        print(json.dumps(message))
    verb = "would replay" if report.dry_run else "replayed"
    count = report.found - report.refused if report.dry_run else report.replayed
    summary = f"{verb} {count} of {report.found} from {report.dead_letter_queue}"
    if report.refused:
        summary += f'; refused {report.refused}, left in the DLQ (see their "refused")'
    print(summary, file=sys.stderr)
    return 1 if report.refused else 0


def _discard(settings: Settings, args: argparse.Namespace) -> int:
    report = asyncio.run(
        discard(
            settings.amqp_url,
            args.queue,
            message_ids=frozenset(args.message_id),
            reason=args.reason,
            dry_run=args.dry_run,
        )
    )
    for message in report.messages:
        print(json.dumps(message))
    verb = "would discard" if report.dry_run else "discarded"
    count = len(report.messages) if report.dry_run else report.discarded
    summary = f"{verb} {count} of {report.found} from {report.dead_letter_queue}"
    if report.missing:
        summary += f"; not found: {', '.join(report.missing)}"
    print(summary, file=sys.stderr)
    return 1 if report.missing else 0


if __name__ == "__main__":
    sys.exit(main())
