"""Shared by ``bench/load.py`` and ``bench/chaos.py``: a private stack, gateways, the bus tap.

The stack is ``tests.conftest.Stack`` (the four services as subprocesses in their
own namespace) plus, unless ``MONGO_URL`` is set, an nx-27017 on a free port.
Traffic goes to 127.0.0.1 only. Every loop here is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402

from contracts.events import ALL_EVENTS  # noqa: E402
from contracts.topology import SUBSCRIPTIONS, Topology  # noqa: E402
from deploy import local  # noqa: E402
from tests.conftest import Stack, delete_namespace  # noqa: E402

TENANT = "acme"
ACK = "ticket_acknowledged"
ROUTED = "ticket_routed"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ stack


class BenchStack(Stack):
    """``Stack`` with its own store (unless MONGO_URL), process stats and ``kill -9``."""

    def __init__(self, amqp_url: str, extra_env: dict[str, str] | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="tripcare-bench-"))
        self.store: Any = None
        self.missing: list[str] = []
        mongo_url = os.environ.get("MONGO_URL")
        if not mongo_url:
            port = local.free_port()
            data = self.workdir / "nx"
            self.store = local.start_store(port, data, data / "nx.log")
            mongo_url = f"mongodb://127.0.0.1:{port}/"
        self.mongo_url = mongo_url
        self.amqp_url = amqp_url
        self.namespace = "b" + uuid.uuid4().hex[:12]
        super().__init__(amqp_url, mongo_url, self.namespace, self.workdir / "logs")
        self.env.update(
            {
                "TRIPCARE_LOG_LEVEL": "WARNING",
                "TRIPCARE_NOTIFY_SMTP_HOST": "",  # never mail anyone's sink: the inbox only
                **(extra_env or {}),
            }
        )
        self.topology = Topology(self.namespace)

    def start_all(self) -> None:
        """Intake, routing and notify must start; feedback (not on the ack path) may fail."""
        for service in local.SERVICES:
            try:
                self.start(service)
            except TimeoutError:
                if service != "feedback":
                    raise
                print(f"WARNING: {service} did not start; going on without it", file=sys.stderr)
                self.kill9(service)
                self.missing.append(service)

    def pid(self, service: str) -> int:
        return int(self.processes[service].pid)

    def kill9(self, service: str) -> None:
        process = self.processes.pop(service)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    async def astart(self, service: str) -> None:
        await asyncio.to_thread(self.start, service)

    async def close(self) -> None:
        for service in list(self.processes):
            try:
                await asyncio.to_thread(self.stop, service)
            except Exception as exc:  # a stuck process must not keep the others alive
                print(f"stop {service}: {exc!r}; killing", file=sys.stderr)
                if service in self.processes:
                    self.kill9(service)
        try:  # bounded: a wedged broker must not hang the run (delete by hand, see the message)
            await asyncio.wait_for(delete_namespace(self.amqp_url, self.namespace), 60)
        except Exception as exc:
            print(
                f"WARNING: queues of namespace {self.namespace} not deleted ({exc!r}); "
                f"delete them: rabbitmqctl list_queues name | grep '^{self.namespace}\\.'",
                file=sys.stderr,
            )
        if self.store is not None:
            self.store.terminate()
            self.store.wait(10)
            shutil.rmtree(self.workdir / "nx", ignore_errors=True)  # ~36 MB a run; logs stay


def cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def queue_depths(
    amqp_url: str, topology: Topology, skip: tuple[str, ...] = ()
) -> dict[str, int]:
    """Messages ready in every queue of the namespace that holds any (passive declare)."""
    names = [topology.unrouted_queue]
    for service, subscribed in SUBSCRIPTIONS.items():
        if service in skip:
            continue
        for event in subscribed:
            names += [topology.queue(service, event), topology.dead_letter_queue(service, event)]
    depths: dict[str, int] = {}
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for name in names:
            try:
                queue = await channel.declare_queue(name, passive=True)
            except Exception:  # not declared (a subscriber that never started): channel closed
                channel = await connection.channel()
                continue
            count = queue.declaration_result.message_count or 0
            if count:
                depths[name] = count
    finally:
        await connection.close()
    return depths


# ------------------------------------------------------------------ bus tap


def epoch_s(stamp: str | None) -> float:
    """An event's ISO time as epoch seconds (0 when absent)."""
    return datetime.fromisoformat(stamp).timestamp() if stamp else 0.0


@dataclass
class Delivery:
    message_id: str
    arrived: float
    """When the tap's own loop read it (monotonic): late when the bench itself is starved."""
    ticket_id: str = ""
    notification_id: str = ""
    delivered_at: float = 0.0
    """When notify handed it to the traveller's channel (epoch seconds, the event's own)."""


@dataclass
class Tap:
    """Every ``notification.delivered`` of the namespace, by (traveller, template)."""

    amqp_url: str
    topology: Topology
    seen: dict[tuple[str, str], list[Delivery]] = field(default_factory=lambda: defaultdict(list))
    tickets: dict[str, str] = field(default_factory=dict)  # traveller → ticket id
    raw: int = 0
    _connection: Any = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.amqp_url)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=500)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self.topology.events_exchange, routing_key="notification.delivered")
        await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        arrived = time.monotonic()
        self.raw += 1
        body = orjson.loads(message.body)
        payload = body["payload"]
        recipient, template = payload["recipient"], payload["template"]
        deliveries = self.seen[(recipient, template)]
        if all(d.message_id != body["message_id"] for d in deliveries):  # redelivery ≠ effect
            deliveries.append(
                Delivery(
                    body["message_id"],
                    arrived,
                    payload.get("ticket_id") or "",
                    payload.get("notification_id", ""),
                    epoch_s(payload.get("delivered_at")),
                )
            )
        if payload.get("ticket_id"):
            self.tickets[recipient] = payload["ticket_id"]

    def first(self, traveller: str, template: str = ACK) -> float | None:
        deliveries = self.seen.get((traveller, template))
        return deliveries[0].arrived if deliveries else None

    def delivered(self, traveller: str, template: str = ACK) -> float | None:
        """When notify delivered the first one (epoch seconds), as its event says."""
        deliveries = self.seen.get((traveller, template))
        return deliveries[0].delivered_at if deliveries else None

    def count(self, traveller: str, template: str = ACK) -> int:
        return len(self.seen.get((traveller, template), ()))

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


# ------------------------------------------------------------------ gateways

TEXTS = {
    "zh-Hans": [
        "我的航班{ref}被取消了，需要改签",
        "酒店订单{ref}的发票还没有收到，请尽快处理",
        "请问{ref}的行李额度是多少？",
    ],
    "zh-Hant": [
        "我的航班{ref}延誤了，可以退票嗎？",
        "訂單{ref}重複扣款，請協助退款",
        "請幫我把{ref}改到明天早上",
    ],
    "en": [
        "My flight {ref} was cancelled, please rebook me on the next one",
        "I was charged twice for order {ref}, please refund",
        "Can I add a checked bag to {ref}?",
    ],
    "ja": [
        "フライト{ref}が欠航になりました。振替をお願いします",
        "ホテル予約{ref}の領収書を送ってください",
        "{ref}の座席を通路側に変更できますか",
    ],
}
CHANNELS = ("web_chat", "in_app", "email")


@dataclass
class Contact:
    """One gateway request; ``kind`` is new, follow_up or duplicate."""

    body: dict[str, Any]
    traveller: str
    kind: str
    sent: float = 0.0
    sent_wall: float = 0.0
    """``sent`` on the wall clock, to compare with the acknowledgement's ``delivered_at``."""
    answered_wall: float = 0.0
    """When intake's answer came back (wall clock)."""
    status: int = 0
    outcome: str = ""
    ticket_id: str = ""
    attempts: int = 0
    shed: int = 0  # 503 answers: intake was at capacity


class Gateways:
    """Mixed channel traffic: new conversations, follow-ups in them, exact duplicates."""

    def __init__(self, run: str, seed: int = 7, follow_up: float = 0.1, duplicate: float = 0.05):
        self.run = run
        self.rng = random.Random(seed)
        self.follow_up = follow_up
        self.duplicate = duplicate
        self.opened: list[Contact] = []
        self.counter = 0

    def next(self) -> Contact:
        self.counter += 1
        roll = self.rng.random()
        if self.opened and roll < self.duplicate:
            original = self.rng.choice(self.opened)
            return Contact(dict(original.body), original.traveller, "duplicate")
        if self.opened and roll < self.duplicate + self.follow_up:
            original = self.rng.choice(self.opened)
            body = dict(original.body)
            body["channel_message_id"] = f"{self.run}-m{self.counter}"
            body["text"] = "追加: " + body["text"]
            return Contact(body, original.traveller, "follow_up")
        return Contact(self.new_body(), f"{self.run}-t{self.counter}", "new")

    def new_body(self) -> dict[str, Any]:
        language = self.rng.choice(list(TEXTS))
        channel = self.rng.choice(CHANNELS)
        ref = f"CA{self.rng.randint(1000, 9999)}"
        traveller = f"{self.run}-t{self.counter}"
        body: dict[str, Any] = {
            "channel": channel,
            "channel_message_id": f"{self.run}-m{self.counter}",
            "traveller": {"id": traveller, "name": "Bench Traveller", "language": language},
            "conversation_key": f"{self.run}-c{self.counter}",
            "text": self.rng.choice(TEXTS[language]).format(ref=ref),
        }
        if channel == "email":
            body["subject"] = f"Booking {ref}"
        return body


async def make_key(stack: Stack, http: httpx.AsyncClient) -> dict[str, str]:
    return await stack.api_key(http, TENANT, rate_per_s=10_000)


async def post_contact(
    http: httpx.AsyncClient,
    url: str,
    key: dict[str, str],
    contact: Contact,
    gateways: Gateways | None = None,
    retry_for_s: float = 0.0,
) -> None:
    """POST once, or, like a real gateway, retry the same body until 2xx for ``retry_for_s``.

    A 503 or 429 is retried after its ``Retry-After`` (at most 2 s), anything else after 0.5 s.
    """
    contact.sent, contact.sent_wall = time.monotonic(), time.time()
    deadline = contact.sent + retry_for_s
    while True:
        contact.attempts += 1
        pause = 0.5
        try:
            stamped = {**key, "X-Request-Start": f"t={time.time():.6f}"}  # as a proxy would
            response = await http.post(f"{url}/v1/contacts", json=contact.body, headers=stamped)
            contact.status, contact.answered_wall = response.status_code, time.time()
            if response.status_code < 300:
                answer = response.json()
                contact.outcome, contact.ticket_id = answer["outcome"], answer["ticket_id"]
                if gateways is not None and contact.outcome == "opened":
                    gateways.opened.append(contact)
                return
            if response.status_code in (429, 503):
                contact.shed += 1 if response.status_code == 503 else 0
                pause = retry_after(response)
        except httpx.HTTPError:
            contact.status = -1
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(pause)


def retry_after(response: httpx.Response, cap_s: float = 2.0) -> float:
    """The server's ``Retry-After`` in seconds, capped so a bench step is not stalled."""
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), cap_s)
    except ValueError:
        return 1.0


def envelope(contact: Contact, message_id: str | None = None) -> dict[str, Any]:
    """A ``contact.received`` envelope, as a gateway on the bus publishes it."""
    now = datetime.now(UTC).isoformat()
    payload = {**contact.body, "received_at": now}
    return {
        "message_id": message_id or uuid.uuid4().hex,
        "correlation_id": contact.body.get("conversation_key") or contact.traveller,
        "tenant_id": TENANT,
        "occurred_at": now,
        "schema_name": "contact.received",
        "schema_version": 1,
        "payload": payload,
    }


async def publish(
    channel: aio_pika.abc.AbstractChannel, exchange: str, body: dict[str, Any]
) -> None:
    target = await channel.get_exchange(exchange, ensure=False)
    await target.publish(
        aio_pika.Message(
            orjson.dumps(body),
            message_id=body.get("message_id"),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key="contact.received",
        mandatory=True,
    )


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1]}


async def wait_until(predicate: Any, timeout_s: float, step_s: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step_s)
    return bool(predicate())


__all__ = ["ALL_EVENTS"]
