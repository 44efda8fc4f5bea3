"""Notify alone: event-to-delivery latency, the sustained rate and a burst's throughput.

``python bench/notify_bench.py [--record docs/benchmarks.md]`` starts its own
nx-27017 (unless MONGO_URL is set) and the notify service in a fresh namespace on
the real RabbitMQ (AMQP_URL), plus a gateway stub on 127.0.0.1 that verifies each
signed webhook and records when it arrived. It publishes ``ticket.acknowledged`` and
``ticket.replied`` events, each for its own traveller whose channel is WeCom, so
every event must become exactly one webhook. Phases, each bounded in count and time:

1. step search (``--steps``, ``--step-s`` each): the highest rate whose p99
   publish-to-webhook latency stays under ``--p99-limit-ms`` with nothing lost or
   duplicated; stops at the first failing step;
2. burst: ``--burst`` events published at once; notifications/s from the first
   publish to the last webhook.

Writes ``bench/results/notify.json`` and, with ``--record``, appends a section to
the given Markdown file.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aio_pika
import orjson

from bench.harness import ROOT, TENANT, BenchStack, cpu_s, percentiles
from bench.load import machine
from runtime.store import mongo_client

RESULTS = ROOT / "bench" / "results"
SECRET = "notify-bench-gateway-secret"
LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")


# ------------------------------------------------------------------ gateway stub


@dataclass
class Arrival:
    at: float
    wall: float
    delivery_id: str


@dataclass
class GatewayStub:
    """Answers every signed webhook 200 (HTTP/1.1 keep-alive); records arrivals per ticket."""

    arrivals: dict[str, list[Arrival]] = field(default_factory=lambda: defaultdict(list))
    bad_signatures: int = 0
    calls: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readline():
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.record(time.monotonic(), time.time(), headers, body)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def record(self, at: float, wall: float, headers: dict[str, str], body: bytes) -> None:
        self.calls += 1
        parts = dict(p.split("=", 1) for p in headers.get("x-tripcare-signature", "").split(","))
        mac = hmac.new(SECRET.encode(), parts.get("t", "").encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(mac.hexdigest(), parts.get("v1", "")):
            self.bad_signatures += 1
        payload = orjson.loads(body)
        key = headers.get("idempotency-key", "")
        self.arrivals[payload["ticket_id"]].append(Arrival(at, wall, key))

    def first(self, ticket_id: str) -> float | None:
        arrivals = self.arrivals.get(ticket_id)
        return arrivals[0].at if arrivals else None


# ------------------------------------------------------------------ events


def event(run: str, n: int) -> dict[str, Any]:
    """The n-th event: an acknowledgement or a reply, to its own traveller, on WeCom."""
    now = datetime.now(UTC).isoformat()
    ticket_id = f"TC-{run}-{n}"
    traveller = {
        "id": f"{run}-t{n}",
        "name": "Bench Traveller",
        "language": LANGUAGES[n % len(LANGUAGES)],
        "im_user_id": f"wx-{run}-{n}",
        "preferred_channel": "wecom",
    }
    payload: dict[str, Any] = {"ticket_id": ticket_id, "channel": "in_app", "traveller": traveller}
    if n % 2:
        schema = "ticket.replied"
        payload |= {"message": "We have rebooked you.", "author": "agent-7", "replied_at": now}
        payload["first_response"] = True
    else:
        schema = "ticket.acknowledged"
        payload |= {"tracking_url": f"https://track.example/{ticket_id}", "acknowledged_at": now}
    return {
        "message_id": uuid.uuid4().hex,
        "correlation_id": ticket_id,
        "tenant_id": TENANT,
        "occurred_at": now,
        "schema_name": schema,
        "schema_version": 1,
        "payload": payload,
    }


@dataclass
class Publisher:
    exchange: aio_pika.abc.AbstractExchange
    run: str
    sent: dict[str, float] = field(default_factory=dict)  # ticket id → publish time
    sent_wall: dict[str, float] = field(default_factory=dict)  # the same, as Unix time
    counter: int = 0

    async def one(self) -> str:
        self.counter += 1
        body = event(self.run, self.counter)
        ticket_id = str(body["payload"]["ticket_id"])
        self.sent[ticket_id], self.sent_wall[ticket_id] = time.monotonic(), time.time()
        await self.exchange.publish(
            aio_pika.Message(
                orjson.dumps(body),
                message_id=body["message_id"],
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=body["schema_name"],
            mandatory=True,
        )
        return ticket_id

    async def at_rate(self, rate: float, seconds: float) -> list[str]:
        """Open loop: one event every 1/rate s, whatever the confirms take."""
        started = time.monotonic()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one()))
        return list(await asyncio.gather(*tasks))

    async def burst(self, count: int) -> list[str]:
        return list(await asyncio.gather(*(self.one() for _ in range(count))))


async def settle(stub: GatewayStub, tickets: list[str], stall_s: float, cap_s: float) -> None:
    """Until every event's webhook came, or none came for ``stall_s`` (lost), at most ``cap_s``:
    a backlog is waited out, so it is counted as latency, never as loss.
    """
    started = last_progress = time.monotonic()
    arrived = 0
    while time.monotonic() - started < cap_s:
        now_arrived = sum(1 for t in tickets if stub.first(t))
        if now_arrived == len(tickets):
            return
        if now_arrived > arrived:
            arrived, last_progress = now_arrived, time.monotonic()
        elif time.monotonic() - last_progress > stall_s:
            return
        await asyncio.sleep(0.25)


async def breakdown(
    deliveries: Any, stub: GatewayStub, publisher: Publisher, tickets: list[str]
) -> dict[str, dict[str, float]]:
    """Where the time went, from the delivery log: publish → stored by the consumer →
    attempt started by the dispatcher → webhook arrived (p50/p99 ms of each part).
    """
    wanted = set(tickets)
    parts: dict[str, list[float]] = {"consumed": [], "dispatched": [], "sent": []}
    async for doc in deliveries.find({}, {"ticket_id": 1, "created_at": 1, "history": 1}):
        ticket_id = doc.get("ticket_id")
        if ticket_id not in wanted or not doc.get("history") or not stub.first(ticket_id):
            continue
        created = doc["created_at"].replace(tzinfo=UTC).timestamp()
        started = doc["history"][0]["started_at"].replace(tzinfo=UTC).timestamp()
        parts["consumed"].append((created - publisher.sent_wall[ticket_id]) * 1000)
        parts["dispatched"].append((started - created) * 1000)
        parts["sent"].append((stub.arrivals[ticket_id][0].wall - started) * 1000)
    return {
        name: {k: round(v, 1) for k, v in percentiles(values).items() if k in ("p50", "p99")}
        for name, values in parts.items()
    }


async def measure(
    stub: GatewayStub,
    publisher: Publisher,
    tickets: list[str],
    args: argparse.Namespace,
    deliveries: Any = None,
) -> dict[str, Any]:
    """Wait for every event's webhook (see ``settle``), then count and time them."""
    await settle(stub, tickets, args.stall_s, args.cap_s)
    await asyncio.sleep(1)  # let a late duplicate show itself
    arrived = [t for t in tickets if stub.first(t)]
    latencies = [((stub.first(t) or 0) - publisher.sent[t]) * 1000 for t in arrived]
    keys = {t: {a.delivery_id for a in stub.arrivals[t]} for t in arrived}
    last = max((stub.first(t) or 0 for t in arrived), default=0.0)
    span = last - min(publisher.sent[t] for t in tickets) if arrived else float("nan")
    return {
        "events": len(tickets),
        "delivered": len(arrived),
        "lost": len(tickets) - len(arrived),
        "duplicated": sum(1 for k in keys.values() if len(k) > 1),
        "same_key_resent": sum(len(stub.arrivals[t]) - len(keys[t]) for t in arrived),
        "latency_ms": {k: round(v, 1) for k, v in percentiles(latencies).items()},
        "notifications_per_s": round(len(arrived) / span, 1) if arrived else 0.0,
        "parts_ms": (
            await breakdown(deliveries, stub, publisher, tickets) if deliveries is not None else {}
        ),
    }


# ------------------------------------------------------------------ main


async def step_search(
    stub: GatewayStub, publisher: Publisher, deliveries: Any, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], float]:
    """Rising rates until one loses, duplicates or misses the p99 limit; the steps, the best."""
    steps: list[dict[str, Any]] = []
    sustained = 0.0
    for rate in args.steps:
        print(f"step {rate}/s for {args.step_s}s …", flush=True)
        tickets = await publisher.at_rate(rate, args.step_s)
        step = await measure(stub, publisher, tickets, args, deliveries)
        step["rate"] = rate
        steps.append(step)
        ok = (
            step["lost"] == 0
            and step["duplicated"] == 0
            and step["latency_ms"]["p99"] < args.p99_limit_ms
        )
        print(f"  {'ok' if ok else 'FAIL'} {json.dumps(step)}", flush=True)
        if not ok:
            break
        sustained = rate
    return steps, sustained


async def burst_phase(
    stack: BenchStack,
    stub: GatewayStub,
    publisher: Publisher,
    deliveries: Any,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """A burst published at once, with the CPU notify and the store spent per notification."""
    print(f"burst of {args.burst} …", flush=True)
    pids = {"notify": stack.pid("notify")}
    if stack.store is not None:
        pids["nx-27017"] = stack.store.pid
    cpu_before = {name: cpu_s(pid) for name, pid in pids.items()}
    burst = await measure(stub, publisher, await publisher.burst(args.burst), args, deliveries)
    burst["cpu_ms_per_notification"] = {
        name: round(1000 * (cpu_s(pid) - cpu_before[name]) / max(burst["delivered"], 1), 2)
        for name, pid in pids.items()
    }
    print(f"  {json.dumps(burst)}", flush=True)
    return burst


async def run(args: argparse.Namespace) -> dict[str, Any]:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    result: dict[str, Any] = {"machine": machine(), "command": " ".join(["python", *sys.argv])}
    stub = GatewayStub()
    server = await asyncio.start_server(stub.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/wecom"
    gateways = {"wecom": {"url": url, "secret": SECRET, "timeout_s": 10}}
    stack = BenchStack(amqp_url, {"TRIPCARE_NOTIFY_GATEWAYS": json.dumps(gateways)})
    connection: aio_pika.abc.AbstractConnection | None = None
    client = mongo_client(stack.mongo_url)
    deliveries = client[f"{stack.namespace}_notify"]["deliveries"]
    started = time.monotonic()
    try:
        print(f"namespace {stack.namespace}; starting nx-27017 and notify …", flush=True)
        await stack.astart("notify")
        connection = await aio_pika.connect(amqp_url)
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(stack.topology.events_exchange, ensure=False)
        publisher = Publisher(exchange, stack.namespace)
        await measure(stub, publisher, await publisher.at_rate(10, 1), args)  # warm up

        steps, sustained = await step_search(stub, publisher, deliveries, args)
        result["steps"] = steps
        result["sustained_notifications_per_s"] = sustained
        burst = await burst_phase(stack, stub, publisher, deliveries, args)
        result["burst"] = burst

        every = [*steps, burst]
        result["lost"] = sum(s["lost"] for s in every)
        result["duplicated"] = sum(s["duplicated"] for s in every)
        result["bad_signatures"] = stub.bad_signatures
        best = next((s for s in steps if s["rate"] == sustained), steps[0])
        result["sustained_latency_ms"] = best["latency_ms"]
        result["burst_notifications_per_s"] = burst["notifications_per_s"]
        result["commit"] = result["machine"]["commit"]
    finally:
        if connection is not None:
            await connection.close()
        await client.close()
        await stack.close()
        server.close()
        await server.wait_closed()
    result["wall_s"] = round(time.monotonic() - started)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


def parts(phase: dict[str, Any]) -> str:
    p50 = [phase["parts_ms"].get(k, {}).get("p50") for k in ("consumed", "dispatched", "sent")]
    return " / ".join("–" if v is None else f"{v:.0f} ms" for v in p50)


def write(result: dict[str, Any], record: Path | None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "notify.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if record is None:
        return
    m, b, s = result["machine"], result["burst"], result["sustained_latency_ms"]
    rate = result["sustained_notifications_per_s"]
    lines = [
        "",
        f"## Notify alone (bench/notify_bench.py), {result['date']}",
        "",
        f"- command: `{result['command']}` (wall {result['wall_s']} s)",
        f"- machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, commit "
        f"`{m['commit']}`, load average at start {m['loadavg_at_start']}",
        "- what: `ticket.acknowledged`/`ticket.replied` published on RabbitMQ → notify "
        "(own nx-27017) → signed WeCom webhook at a stub; latency is publish → webhook arrival",
        "- results: `bench/results/notify.json`",
        "",
        "| measure | value | target |",
        "| --- | --: | --: |",
        f"| sustained rate (p99 < 1 s, 0 lost, 0 duplicated) | {rate:.0f} notifications/s | |",
        f"| latency p50 / p95 / p99 at {rate:.0f}/s | {s['p50']:.0f} / {s['p95']:.0f} / "
        f"{s['p99']:.0f} ms | p99 < 1,000 ms |",
        f"| burst of {b['events']:,}: throughput | {b['notifications_per_s']:.0f} "
        "notifications/s | |",
        f"| burst: latency p50 / p99 | {b['latency_ms']['p50']:.0f} / "
        f"{b['latency_ms']['p99']:.0f} ms | |",
        "| CPU per notification (burst) | "
        + ", ".join(f"{k} {v} ms" for k, v in b["cpu_ms_per_notification"].items())
        + " | |",
        f"| lost / duplicated (all phases) | {result['lost']} / {result['duplicated']} | 0 / 0 |",
        f"| bad signatures | {result['bad_signatures']} | 0 |",
        "",
        "| phase | events | p50 | p95 | p99 | lost | dup | p50 consumed / dispatched / sent |",
        "| --: | --: | --: | --: | --: | --: | --: | --: |",
        *(
            f"| {st['label']} | {st['events']} | {st['latency_ms']['p50']:.0f} ms "
            f"| {st['latency_ms']['p95']:.0f} ms | {st['latency_ms']['p99']:.0f} ms "
            f"| {st['lost']} | {st['duplicated']} | {parts(st)} |"
            for st in [
                *({**x, "label": f"{x['rate']:.0f}/s"} for x in result["steps"]),
                {**b, "label": f"burst of {b['events']:,}"},
            ]
        ),
        "",
        "consumed: publish → delivery stored by notify's consumer; dispatched: → attempt "
        "claimed by the dispatcher; sent: → webhook at the stub (from the delivery log).",
    ]
    with record.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=float, nargs="+", default=[20, 30, 40, 50, 60, 80, 100, 150]
    )
    parser.add_argument("--step-s", type=float, default=8.0)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--p99-limit-ms", type=float, default=1000.0)
    parser.add_argument("--stall-s", type=float, default=15.0, help="no webhook this long: lost")
    parser.add_argument("--cap-s", type=float, default=120.0, help="longest wait per phase")
    parser.add_argument("--record", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    write(result, args.record)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict | list)}))


if __name__ == "__main__":
    main()
