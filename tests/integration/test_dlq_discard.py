"""A message that will never apply leaves its DLQ with `python -m runtime.dlq discard`
(real broker): the runbook says not to replay a `rejected` one, and until it is gone
`DeadLetteredMessagesWaiting` fires; `rabbitmqctl purge_queue` would also delete the
`delivery_limit` messages waiting for their fix."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import aio_pika
import pytest

from runtime.dlq import discard
from tests.polling import until

pytestmark = pytest.mark.integration


@pytest.fixture
async def queue(amqp_url: str, namespace: str) -> AsyncIterator[str]:
    """A work queue and its DLQ, as a service declares them (quorum, durable)."""
    name = f"{namespace}.itest.ticket.opened"
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    declared = [
        await channel.declare_queue(q, durable=True, arguments={"x-queue-type": "quorum"})
        for q in (name, f"{name}.dlq")
    ]
    yield name
    for q in declared:
        await q.delete(if_unused=False, if_empty=False)
    await connection.close()


async def depth(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    declared = await channel.declare_queue(queue, passive=True)
    await connection.close()
    return declared.declaration_result.message_count or 0


async def park(amqp_url: str, dlq: str, reasons: dict[str, str]) -> None:
    """Put messages in the DLQ as the broker would, each with its death reason."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    for message_id, reason in reasons.items():
        await channel.default_exchange.publish(
            aio_pika.Message(
                b'{"not": "an envelope"}',
                message_id=message_id,
                headers={"x-first-death-reason": reason},
            ),
            routing_key=dlq,
        )
    await connection.close()

    async def parked() -> bool:
        return await depth(amqp_url, dlq) == len(reasons)

    await until(parked)


async def remaining(amqp_url: str, dlq: str) -> list[str]:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(dlq, passive=True)
    ids = []
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        ids.append(str(message.message_id))
    await connection.close()  # unacked: all go back
    return sorted(ids)


async def test_discard_removes_the_named_messages_and_keeps_the_rest(
    amqp_url: str, queue: str
) -> None:
    dlq = f"{queue}.dlq"
    await park(amqp_url, dlq, {"bad-1": "rejected", "bad-2": "rejected", "ok-1": "delivery_limit"})

    dry = await discard(amqp_url, dlq, message_ids={"bad-1"}, dry_run=True)
    assert (dry.found, dry.discarded) == (3, 0)
    assert [m["message_id"] for m in dry.messages] == ["bad-1"]
    assert dry.messages[0]["body"] == '{"not": "an envelope"}'
    assert await remaining(amqp_url, dlq) == ["bad-1", "bad-2", "ok-1"]

    done = await discard(amqp_url, queue, message_ids={"bad-1", "nowhere"})
    assert (done.found, done.discarded, done.missing) == (3, 1, ["nowhere"])
    assert await remaining(amqp_url, dlq) == ["bad-2", "ok-1"]


async def test_discard_by_reason_leaves_the_messages_awaiting_a_fix(
    amqp_url: str, queue: str
) -> None:
    dlq = f"{queue}.dlq"
    await park(amqp_url, dlq, {"bad-1": "rejected", "bad-2": "rejected", "ok-1": "delivery_limit"})
    done = await discard(amqp_url, dlq, reason="rejected")
    assert done.discarded == 2
    assert {m["reason"] for m in done.messages} == {"rejected"}
    assert await remaining(amqp_url, dlq) == ["ok-1"]


async def test_the_command_line_discards_and_reports(
    amqp_url: str, namespace: str, queue: str
) -> None:
    dlq = f"{queue}.dlq"
    await park(amqp_url, dlq, {"bad-1": "rejected", "ok-1": "delivery_limit"})
    env = {**os.environ, "AMQP_URL": amqp_url, "TRIPCARE_NAMESPACE": namespace}
    command = [sys.executable, "-m", "runtime.dlq", "discard", "--queue", dlq]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, *extra], env=env, capture_output=True, text=True)

    missing = await asyncio.to_thread(run, "--message-id", "bad-1", "--message-id", "gone")
    assert missing.returncode == 1, missing.stderr
    assert [json.loads(line)["message_id"] for line in missing.stdout.splitlines()] == ["bad-1"]
    assert "discarded 1 of 2 from" in missing.stderr
    assert "not found: gone" in missing.stderr
    looked = await asyncio.to_thread(run, "--reason", "delivery_limit", "--dry-run")
    assert [json.loads(line) for line in looked.stdout.splitlines()] == [
        {"message_id": "ok-1", "reason": "delivery_limit", "body": '{"not": "an envelope"}'}
    ]
    neither = await asyncio.to_thread(run)
    assert neither.returncode == 2
    assert await remaining(amqp_url, dlq) == ["ok-1"]
