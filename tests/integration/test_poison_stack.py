"""A poison message under the running four services, handled with the documented tool only
(``python -m runtime.dlq``): it is counted on ``/metrics``, logged once as one JSON line
naming it, listed and inspected by dry runs, and discarded by id; the work goes on."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import aio_pika
import httpx
import pytest

from contracts.topology import Topology
from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.integration


def dlq(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMQP_URL": stack.env["AMQP_URL"]}
    env["TRIPCARE_NAMESPACE"] = stack.env["TRIPCARE_NAMESPACE"]
    return subprocess.run(
        [sys.executable, "-m", "runtime.dlq", *args], env=env, capture_output=True, text=True
    )


async def test_a_poison_message_is_seen_listed_inspected_and_discarded(
    stack: Stack, amqp_url: str, namespace: str
) -> None:
    topology = Topology(namespace)
    queue = f"{namespace}.routing.ticket.opened"
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(topology.events_exchange)
    await exchange.publish(
        aio_pika.Message(b'{"poison": true}', message_id="poison-1", correlation_id="x"),
        routing_key="ticket.opened",
    )
    await connection.close()

    async with httpx.AsyncClient(timeout=10) as http:

        async def counted() -> bool:
            text = (await http.get(f"{stack.url('routing')}/metrics")).text
            return f'messages_dead_lettered_total{{queue="{queue}",reason="rejected"}} 1.0' in text

        await until(counted, 30)

    listed = await asyncio.to_thread(dlq, stack, "replay", "--queue", f"{queue}.dlq", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry == {"message_id": "poison-1", "routing_key": "ticket.opened", "reason": "rejected"}
    shown = await asyncio.to_thread(
        dlq, stack, "discard", "--queue", queue, "--reason", "rejected", "--dry-run"
    )
    assert '{\\"poison\\": true}' in shown.stdout, shown.stdout
    missing = await asyncio.to_thread(
        dlq, stack, "discard", "--queue", queue, "--message-id", "nope"
    )
    assert missing.returncode == 1
    assert "not found: nope" in missing.stderr
    gone = await asyncio.to_thread(
        dlq, stack, "discard", "--queue", queue, "--message-id", "poison-1"
    )
    assert gone.returncode == 0, gone.stderr
    assert f"discarded 1 of 1 from {queue}.dlq" in gone.stderr
    empty = await asyncio.to_thread(dlq, stack, "replay", "--queue", queue)
    assert (empty.returncode, empty.stdout) == (0, "")
    assert f"replayed 0 of 0 from {queue}.dlq" in empty.stderr

    stack.stop_all()
    lines = [json.loads(line) for line in (stack.logs / "routing.log").read_text().splitlines()]
    (said,) = [line for line in lines if "poison-1" in line["msg"]]
    assert said["level"] == "ERROR"
    assert said["msg"].startswith("malformed message poison-1 dead-lettered")
    assert said["message_id"] == "poison-1"
