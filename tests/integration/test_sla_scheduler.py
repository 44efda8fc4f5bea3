"""Durable SLA timers against the real broker and store, with routing as real processes.

Two routing replicas share one namespace (queues and database); tickets are
opened on the bus as intake would. Every breach must reach the bus once, within
5 s of its deadline, while one replica restarts; and a deadline that passes
while every replica is down fires once when routing comes back.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import orjson
import pytest

from contracts import events
from contracts.topology import Topology
from deploy import local
from tests.conftest import STACK_KEYS_ENV, Stack
from tests.factories import envelope

pytestmark = pytest.mark.integration

TICKETS = 6
FIRST_RESPONSE_S = 8
RESOLUTION_S = 40
LATE_LIMIT_S = 5.0
TEXT = "I was charged twice on my invoice for order {n}, please refund the duplicate payment"


@dataclass
class Replicas:
    """Routing processes of one namespace, each on its own port."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def start(self, name: str) -> float:
        """Start (or restart) one replica; returns when it answered /readyz (monotonic)."""
        self.ports[name] = local.free_port()
        self.processes[name] = local.start_service(
            "routing", self.ports[name], self.env, self.logs / f"routing-{name}.log"
        )
        local.wait_for(lambda: local.ready(self.ports[name]), 90, f"routing {name} /readyz")
        return time.monotonic()

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        process.wait(30)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


@dataclass
class Heard:
    payload: dict[str, Any]
    at: datetime
    monotonic: float


@dataclass
class BusTap:
    """Every sla.* and ticket.routed event of the namespace, as it arrives."""

    heard: dict[str, list[Heard]] = field(default_factory=lambda: defaultdict(list))
    message_ids: set[str] = field(default_factory=set)
    duplicates: int = 0

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        body = orjson.loads(message.body)
        if body["message_id"] in self.message_ids:
            self.duplicates += 1  # the relay may publish twice; consumers dedupe on the id
            return
        self.message_ids.add(body["message_id"])
        self.heard[body["schema_name"]].append(
            Heard(body["payload"], datetime.now(UTC), time.monotonic())
        )

    def of(self, schema: str, clock: str | None = None) -> list[Heard]:
        return [h for h in self.heard[schema] if clock is None or h.payload["clock"] == clock]


@pytest.fixture
def replicas(amqp_url: str, mongo_url: str, namespace: str, tmp_path: Path) -> Iterator[Replicas]:
    running = Replicas(
        env={
            "AMQP_URL": amqp_url,
            "MONGO_URL": mongo_url,
            "TRIPCARE_NAMESPACE": namespace,
            **STACK_KEYS_ENV,
            "TRIPCARE_OUTBOX_GRACE_S": "1.0",
            "TRIPCARE_OUTBOX_SWEEP_INTERVAL_S": "0.5",
            "TRIPCARE_GRACEFUL_TIMEOUT_S": "5",
            "TRIPCARE_SLA_POLL_INTERVAL_S": "0.5",
            "TRIPCARE_SLA_LEASE_S": "5",
        },
        logs=tmp_path,
    )
    try:
        yield running
    finally:
        running.stop_all()


@pytest.fixture
async def tap(amqp_url: str, namespace: str) -> AsyncIterator[tuple[BusTap, Any]]:
    """The tap and a channel to publish with (declared after routing declared the exchange)."""
    heard = BusTap()
    connection = await aio_pika.connect(amqp_url)
    try:
        yield heard, connection
    finally:
        await connection.close()


async def listen(
    connection: Any, topology: Topology, heard: BusTap
) -> aio_pika.abc.AbstractChannel:
    channel = await connection.channel()
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    for key in ("sla.breached", "sla.warning", "sla.stopped", "ticket.routed"):
        await queue.bind(topology.events_exchange, routing_key=key)
    await queue.consume(heard.on_message, no_ack=True)
    return channel


async def open_tickets(channel: aio_pika.abc.AbstractChannel, topology: Topology) -> list[str]:
    exchange = await channel.get_exchange(topology.events_exchange, ensure=False)
    ids = []
    for n in range(TICKETS):
        opened = events.TicketOpened(
            ticket_id=f"TC-SLA-{n}",
            channel=events.Channel.IN_APP,
            traveller=events.Traveller(id=f"trav-{n}", language="en"),
            text=TEXT.format(n=5500 + n),
            opened_at=datetime.now(UTC),
        )
        message = envelope(opened)
        await exchange.publish(
            aio_pika.Message(
                message.model_dump_json().encode(),
                message_id=message.message_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key="ticket.opened",
        )
        ids.append(opened.ticket_id)
    return ids


async def until(predicate: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def lateness(heard: Heard) -> float:
    return (heard.at - datetime.fromisoformat(heard.payload["deadline"])).total_seconds()


async def test_breaches_fire_once_on_time_across_replicas_restarts_and_downtime(
    replicas: Replicas, tap: tuple[BusTap, Any], namespace: str
) -> None:
    heard, connection = tap
    topology = Topology(namespace)
    replicas.start("a")
    replicas.start("b")
    admin = Stack.token("ops", "admin")
    terms = {
        "targets": {
            "first_response_s": FIRST_RESPONSE_S,
            "next_response_s": FIRST_RESPONSE_S,
            "resolution_s": RESOLUTION_S,
            "supplier_s": RESOLUTION_S,
        },
        "warn_share": 0.5,
    }
    async with httpx.AsyncClient(base_url=replicas.url("a"), timeout=10) as http:
        policy = await http.put(
            "/v1/sla-policies",
            json={"priorities": dict.fromkeys(("critical", "high", "normal", "low"), terms)},
            headers=admin,
        )
        assert policy.status_code == 200, policy.text
        bot_off = await http.put("/v1/policy", json={"bot_enabled": False}, headers=admin)
        assert bot_off.status_code == 200, bot_off.text
    channel = await listen(connection, topology, heard)

    tickets = await open_tickets(channel, topology)
    await until(lambda: len(heard.of("ticket.routed")) >= TICKETS, 20)

    # One replica restarts while the first-response deadlines come and go.
    await asyncio.to_thread(replicas.stop, "b")  # threads: the tap must keep listening
    await asyncio.to_thread(replicas.start, "b")
    await until(lambda: len(heard.of("sla.breached", "first_response")) >= TICKETS, 30)
    await asyncio.sleep(2)  # room for a duplicate to show up

    first = heard.of("sla.breached", "first_response")
    assert sorted(h.payload["ticket_id"] for h in first) == tickets
    assert all(0 <= lateness(h) <= LATE_LIMIT_S for h in first), [lateness(h) for h in first]
    # Nobody holds them and no agent is registered: straight to management (#18), never nobody.
    assert {h.payload["level"] for h in first} == {"management"}
    warnings = heard.of("sla.warning", "first_response")
    assert sorted(h.payload["ticket_id"] for h in warnings) == tickets

    # Every replica down while the resolution deadlines pass; routing comes back later.
    await asyncio.to_thread(replicas.stop_all)
    resolution_due = max(
        datetime.fromisoformat(h.payload["resolution_due"]) for h in heard.of("ticket.routed")
    )
    await asyncio.sleep(max((resolution_due - datetime.now(UTC)).total_seconds() + 1, 0))
    assert heard.of("sla.breached", "resolution") == []
    back = await asyncio.to_thread(replicas.start, "a")
    await until(lambda: len(heard.of("sla.breached", "resolution")) >= TICKETS, 30)
    await asyncio.sleep(2)

    late = heard.of("sla.breached", "resolution")
    measured = {
        "first_response_lateness_s": sorted(lateness(h) for h in first),
        "after_downtime_since_ready_s": sorted(h.monotonic - back for h in late),
    }
    (replicas.logs / "lateness.json").write_text(json.dumps(measured, indent=2))  # next to logs
    assert sorted(h.payload["ticket_id"] for h in late) == tickets
    assert all(h.monotonic - back <= LATE_LIMIT_S for h in late)
    assert {h.payload["level"] for h in late} == {"management"}
    resolution_warnings = [h.payload["ticket_id"] for h in heard.of("sla.warning", "resolution")]
    assert len(resolution_warnings) == len(set(resolution_warnings))
