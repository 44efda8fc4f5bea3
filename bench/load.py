"""``make bench``: contact → acknowledgement latency, the sustained rate, and the machine's ceiling.

Starts its own stack in a fresh namespace (its own nx-27017 unless MONGO_URL is set;
RabbitMQ from AMQP_URL), plays channel gateways against intake on 127.0.0.1 and taps
``notification.delivered`` on the bus. Phases, each bounded in count and time:

1. step search (``--steps``, ``--step-s`` each): the highest rate whose p99 ack stays
   under ``--p99-limit-ms`` with nothing lost, and which the bench really offered (95 %
   of it: a starved bench sends late); stops at the first failing step;
2. fixed rate (``--rate``/s for ``--duration`` s): p50/p95/p99 ack latency, lost,
   duplicated, CPU ms per contact per service;
   every phase waits for the queues to drain, so no backlog leaks into the next;
3. profile (``--profile``): py-spy on every service and nx-27017 at a modest
   ``--profile-rate`` for ``--profile-s`` (``bench/results/profile-<process>.txt``);
4. soak (``--soak-s``): RSS of each service before and after;
5. ceiling, with the services idle: a raw aio-pika hop (consume → publish with confirm
   → ack) and raw single inserts with PyMongo async — what this machine can do without
   TripCare. Last, because ~37,000 messages through a quorum queue and ~18,000 inserts
   leave the broker and the store compacting for a while after, which the steps that
   came after them measured (40/s failed at p99 851 ms after a 10 s ceiling and passed
   at 274 ms after a 1 s one, docs/benchmarks.md);
6. peer (``--peer``): once TripCare's stack is down, django-helpdesk alone
   (``bench/peer/run.py``) and the ratio of TripCare's sustained rate to its best rate.

The acknowledgement's latency runs from the contact's send (the bench's wall clock) to
the ``delivered_at`` of its ``notification.delivered``: when notify handed it to the
traveller's channel, on the same machine's clock. Until 2026-12-06 it ran to the
moment the bench's tap read the receipt, which adds notify's relay and the bench's own
event loop: at 50/s on two cores the tap read receipts 8–20 s after their delivery,
while intake answered in 0.2–0.6 s and notify had nothing pending (docs/benchmarks.md).
That clock is still reported, as ``tap_ack_ms``. ``ack_split_ms`` splits the
acknowledgement's time at intake's HTTP answer: the answer itself, then the rest to delivery.

Writes ``bench/results/latest.json`` (+ ``history/<timestamp>.json``) and, with
``--record``, appends a section to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aio_pika
import httpx

from bench import profiling, store_counts
from bench.harness import (
    ROOT,
    ROUTED,
    BenchStack,
    Contact,
    Gateways,
    Tap,
    cpu_s,
    make_key,
    percentiles,
    post_contact,
    queue_depths,
    rss_mb,
    wait_until,
)
from bench.peer import report as peer_report
from bench.peer import run as peer_run
from runtime.store import mongo_client

RESULTS = ROOT / "bench" / "results"
BEHIND_A_PROXY = {"TRIPCARE_INGRESS_MAX_REQUEST_AGE_S": "0.5"}
"""The bench stamps ``X-Request-Start`` as a proxy in front would; intake sheds on it."""
COMPARED_AT_P99_MS = 300.0  # issue #20: TripCare's rate at p99 ack ≤ 300 ms vs the peer's best
PHASES = ("profile_run", "soak")  # optional phases whose losses count like the others'


# ------------------------------------------------------------------ ceiling


async def hop_ceiling(amqp_url: str, namespace: str, seconds: float, in_flight: int = 50) -> float:
    """Hops/s of consume → publish (persistent, confirmed) → ack on one quorum queue."""
    name = f"{namespace}.bench.hop"
    connection = await aio_pika.connect(amqp_url)
    hops = 0
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=100)
        queue = await channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        body = b'{"payload": "' + b"x" * 400 + b'"}'
        for _ in range(in_flight):
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), name
            )
        stop_at = time.monotonic() + seconds

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal hops
            if time.monotonic() >= stop_at:
                return  # left unacked: returned to the queue, which is deleted below
            await channel.default_exchange.publish(
                aio_pika.Message(message.body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                name,
            )
            await message.ack()
            hops += 1

        started = time.monotonic()
        tag = await queue.consume(on_message)
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - started
        await queue.cancel(tag)
        await channel.queue_delete(name)
    finally:
        await connection.close()
    return hops / elapsed


async def insert_ceiling(mongo_url: str, namespace: str, seconds: float) -> float:
    """Single sequential ``insert_one`` calls per second into a fresh collection."""
    client = mongo_client(mongo_url)
    database = f"{namespace}_bench"
    try:
        collection = client[database]["inserts"]
        count, started = 0, time.monotonic()
        while time.monotonic() - started < seconds and count < 100_000:
            await collection.insert_one(
                {"_id": f"d{count}", "tenant_id": "acme", "text": "x" * 200, "n": count}
            )
            count += 1
        rate = count / (time.monotonic() - started)
        await client.drop_database(database)
    finally:
        await client.close()
    return rate


# ------------------------------------------------------------------ load


async def play(
    http: httpx.AsyncClient,
    url: str,
    key: dict[str, str],
    gateways: Gateways,
    rate: float,
    seconds: float,
) -> list[Contact]:
    """Open loop: one contact every 1/rate s, whatever the answers take (bounded count)."""
    total = int(rate * seconds)
    contacts: list[Contact] = []
    tasks = []
    started = time.monotonic()
    for i in range(total):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        contact = gateways.next()
        contacts.append(contact)
        tasks.append(asyncio.create_task(post_contact(http, url, key, contact, gateways)))
    _, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:  # no answer within 60 s: counted as not accepted (status 0)
        task.cancel()
    return contacts


async def measure(tap: Tap, contacts: list[Contact], ack_deadline_s: float) -> dict[str, Any]:
    """Wait for every accepted new contact's ack (bounded), then count and time them."""
    new = [c for c in contacts if c.kind == "new" and 200 <= c.status < 300]
    await wait_until(lambda: all(tap.first(c.traveller) for c in new), ack_deadline_s)
    await wait_until(lambda: all(tap.first(c.traveller, ROUTED) for c in new), 5)
    await asyncio.sleep(1)  # let a late duplicate show itself
    acked = [c for c in new if tap.first(c.traveller)]
    latencies = [((tap.delivered(c.traveller) or 0) - c.sent_wall) * 1000 for c in acked]
    at_tap = [((tap.first(c.traveller) or 0) - c.sent) * 1000 for c in acked]
    return {
        "sent": len(contacts),
        "accepted": sum(1 for c in contacts if 200 <= c.status < 300),
        "rejected": dict(Counter(str(c.status) for c in contacts if not 200 <= c.status < 300)),
        "shed_503": sum(c.shed for c in contacts),
        "outcomes": dict(Counter(c.outcome for c in contacts if c.outcome)),
        "new_tickets": len(new),
        "acknowledged": len(acked),
        "routed": sum(1 for c in new if tap.first(c.traveller, ROUTED)),
        "lost": len(new) - len(acked),
        "duplicated": sum(
            1 for c in new if tap.count(c.traveller) > 1 or tap.count(c.traveller, ROUTED) > 1
        ),
        "ack_ms": {k: round(v, 1) for k, v in percentiles(latencies).items()},
        "tap_ack_ms": {k: round(v, 1) for k, v in percentiles(at_tap).items()},
        "ack_split_ms": ack_split(tap, acked),
        "offered_per_s": offered(contacts),
    }


def ack_split(tap: Tap, acked: list[Contact]) -> dict[str, dict[str, float]]:
    """Where the acknowledgement's time went: intake's answer, then the rest to delivery."""
    legs = {
        "answer": [c.answered_wall - c.sent_wall for c in acked],
        "after_answer": [(tap.delivered(c.traveller) or 0) - c.answered_wall for c in acked],
    }
    return {
        leg: {q: round(v * 1000, 1) for q, v in percentiles(values).items() if q in ("p50", "p99")}
        for leg, values in legs.items()
    }


def offered(contacts: list[Contact]) -> float:
    """The rate the bench actually sent at: a starved bench sends late and offers less."""
    sent = sorted(c.sent for c in contacts if c.sent)
    if len(sent) < 2 or sent[-1] <= sent[0]:
        return 0.0
    return round((len(sent) - 1) / (sent[-1] - sent[0]), 1)


# ------------------------------------------------------------------ main


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    load1 = os.getloadavg()[0]
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "commit": commit + ("-dirty" if dirty else ""),
        "loadavg_at_start": f"{load1:.2f}",
    }


def rabbitmq_pid() -> int | None:
    """The local broker's Erlang VM, when it runs here (its CPU is part of each contact's)."""
    found = subprocess.run(["pgrep", "-o", "beam.smp"], capture_output=True, text=True)
    return int(found.stdout.split()[0]) if found.stdout.strip() else None


async def drain(
    amqp_url: str,
    topology: Any,
    skip: tuple[str, ...],
    pids: list[int],
    timeout_s: float = 180.0,
) -> float:
    """Wait until the namespace's work queues are empty and the processes are quiet, so one
    phase's backlog is not measured as the next phase's latency; returns the seconds it took.

    An empty queue is not enough: each consumer holds up to its prefetch (100) unacked
    messages, which a passive declare does not count.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        depths = await queue_depths(amqp_url, topology, skip)
        busy = sum(
            count
            for name, count in depths.items()
            if not name.endswith(".dlq") and name != topology.unrouted_queue
        )
        if busy == 0 and await quiet(pids):
            break
        await asyncio.sleep(1)
    return round(time.monotonic() - started, 1)


async def quiet(pids: list[int], window_s: float = 1.0, busy_share: float = 0.1) -> bool:
    """Whether these processes together used less than ``busy_share`` of a core for a while."""
    before = sum(cpu_s(pid) for pid in pids)
    await asyncio.sleep(window_s)
    return sum(cpu_s(pid) for pid in pids) - before < busy_share * window_s


@dataclass
class Pipeline:
    """What every phase drives: the stack, intake's gateways over HTTP, the tap, the processes."""

    stack: BenchStack
    amqp_url: str
    http: httpx.AsyncClient
    url: str
    key: dict[str, str]
    gateways: Gateways
    tap: Tap
    pids: dict[str, int]

    async def play(self, rate: float, seconds: float) -> list[Contact]:
        return await play(self.http, self.url, self.key, self.gateways, rate, seconds)

    async def drain(self) -> float:
        return await drain(
            self.amqp_url, self.stack.topology, tuple(self.stack.missing), list(self.pids.values())
        )


def process_pids(stack: BenchStack) -> dict[str, int]:
    """Every process whose CPU and memory the phases report: services, store, broker."""
    pids = {s: stack.pid(s) for s in stack.processes}
    if stack.store is not None:
        pids["nx-27017"] = stack.store.pid
    if broker := rabbitmq_pid():
        pids["rabbitmq (shared)"] = broker
    return pids


async def ceilings(stack: BenchStack, amqp_url: str, args: argparse.Namespace) -> dict[str, int]:
    """What this machine does without TripCare: raw broker hops and raw store inserts."""
    print(f"namespace {stack.namespace}; ceiling …", flush=True)
    hops = round(await hop_ceiling(amqp_url, stack.namespace, args.ceiling_s))
    inserts = round(await insert_ceiling(stack.mongo_url, stack.namespace, args.ceiling_s))
    print(f"  hops/s {hops}, inserts/s {inserts}", flush=True)
    return {"ceiling_hops_per_s": hops, "ceiling_inserts_per_s": inserts}


async def step_search(
    pipeline: Pipeline, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], float]:
    """Rising rates until one fails (lost, duplicated, refused or slow); the steps, the best."""
    steps: list[dict[str, Any]] = []
    sustained = 0.0
    for rate in args.steps:
        print(f"step {rate}/s for {args.step_s}s …", flush=True)
        contacts = await pipeline.play(rate, args.step_s)
        step = await measure(pipeline.tap, contacts, args.ack_deadline_s)
        step["rate"] = rate
        steps.append(step)
        ok = (
            step["lost"] == 0
            and step["duplicated"] == 0
            and step["accepted"] == step["sent"]
            and step["ack_ms"]["p99"] < args.p99_limit_ms
            and step["offered_per_s"] >= 0.95 * rate
        )
        print(f"  {'ok' if ok else 'FAIL'} {json.dumps(step)}", flush=True)
        step["drain_s"] = await pipeline.drain()
        if not ok:
            break
        sustained = rate
    return steps, sustained


async def fixed_rate(pipeline: Pipeline, args: argparse.Namespace) -> dict[str, Any]:
    """The fixed rate, with CPU and store commands per contact."""
    print(f"fixed rate {args.rate}/s for {args.duration}s …", flush=True)
    pids, http = pipeline.pids, pipeline.http
    services = {s: pipeline.stack.url(s) for s in pipeline.stack.processes}
    store_before = await store_counts.snapshot(http, services)
    cpu_before = {s: cpu_s(p) for s, p in pids.items()}
    own_before = time.process_time()
    contacts = await pipeline.play(args.rate, args.duration)
    own = time.process_time() - own_before
    cpu_after = {s: cpu_s(p) for s, p in pids.items()}
    fixed = await measure(pipeline.tap, contacts, args.ack_deadline_s)
    fixed["rate"] = args.rate
    fixed["seconds"] = args.duration
    fixed["cpu_ms_per_contact"] = {
        s: round(1000 * (cpu_after[s] - cpu_before[s]) / len(contacts), 2) for s in pids
    }
    # the bench's own gateways and tap share the two cores with the stack
    fixed["bench_cpu_ms_per_contact"] = round(1000 * own / len(contacts), 2)
    fixed["drain_s"] = await pipeline.drain()
    store_after = await store_counts.snapshot(http, services)
    fixed["store"] = store_counts.per_contact(store_before, store_after, fixed["new_tickets"])
    print(f"  {json.dumps(fixed)}", flush=True)
    return fixed


async def profile_phase(
    pipeline: Pipeline, args: argparse.Namespace, result: dict[str, Any]
) -> None:
    """py-spy on every Python process under a modest load; after the fixed run, so py-spy never
    weighs on its CPU figures."""
    print(f"profile {args.profile_rate}/s for {args.profile_s}s …", flush=True)
    python = {s: p for s, p in pipeline.pids.items() if s != "rabbitmq (shared)"}

    async def modest_load() -> None:
        contacts = await pipeline.play(args.profile_rate, args.profile_s)
        result["profile_run"] = await measure(pipeline.tap, contacts, args.ack_deadline_s)

    result["profile"] = await profiling.record(python, int(args.profile_s), RESULTS, modest_load)
    result["profile_run"]["drain_s"] = await pipeline.drain()
    result["profile_rate"], result["profile_s"] = args.profile_rate, args.profile_s
    print(f"  {json.dumps(result['profile_run'])}", flush=True)


async def soak_phase(pipeline: Pipeline, args: argparse.Namespace) -> dict[str, Any]:
    """Memory growth: RSS of every process before and after a steady rate."""
    print(f"soak {args.soak_rate}/s for {args.soak_s}s …", flush=True)
    pids = pipeline.pids
    rss_before = {s: round(rss_mb(p), 1) for s, p in pids.items()}
    contacts = await pipeline.play(args.soak_rate, args.soak_s)
    soak = await measure(pipeline.tap, contacts, args.ack_deadline_s)
    soak["rss_mb_before"] = rss_before
    soak["rss_mb_after"] = {s: round(rss_mb(p), 1) for s, p in pids.items()}
    soak["rate"], soak["seconds"] = args.soak_rate, args.soak_s
    print(f"  {json.dumps(soak)}", flush=True)
    return soak


def summarise(result: dict[str, Any], args: argparse.Namespace) -> None:
    """The headline figures, summed and picked from the phases."""
    result["p50_ack_ms"] = result["fixed"]["ack_ms"]["p50"]
    result["p95_ack_ms"] = result["fixed"]["ack_ms"]["p95"]
    result["p99_ack_ms"] = result["fixed"]["ack_ms"]["p99"]
    phases = [*result["steps"], result["fixed"], *[result[k] for k in PHASES if k in result]]
    result["lost"] = sum(phase["lost"] for phase in phases)
    result["duplicated"] = sum(phase["duplicated"] for phase in phases)
    result["p99_limit_ms"] = args.p99_limit_ms
    result["commit"] = result["machine"]["commit"]
    result["pipeline_share_of_hop_ceiling"] = round(
        4 * result["sustained_contacts_per_s"] / max(result["ceiling_hops_per_s"], 1), 3
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    result: dict[str, Any] = {"machine": machine(), "command": " ".join(["python", *sys.argv])}
    stack = BenchStack(amqp_url, {**store_counts.ENV, **BEHIND_A_PROXY})
    tap: Tap | None = None
    started = time.monotonic()
    try:
        await asyncio.to_thread(stack.start_all)
        result["services_not_started"] = stack.missing
        tap = Tap(amqp_url, stack.topology)
        await tap.start()
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            key = await make_key(stack, http)
            url = stack.url("intake")
            gateways = Gateways(stack.namespace)
            warm = await play(http, url, key, gateways, 10, 2)
            await measure(tap, warm, 30)
            pids = process_pids(stack)
            pipeline = Pipeline(stack, amqp_url, http, url, key, gateways, tap, pids)
            result["steps"], result["sustained_contacts_per_s"] = await step_search(pipeline, args)
            result["fixed"] = await fixed_rate(pipeline, args)
            if args.profile:
                await profile_phase(pipeline, args, result)
            if args.soak_s > 0:
                result["soak"] = await soak_phase(pipeline, args)
        result |= await ceilings(stack, amqp_url, args)
        result["queue_depths_at_end"] = await queue_depths(
            amqp_url, stack.topology, tuple(stack.missing)
        )
        summarise(result, args)
    finally:
        if tap is not None:
            await tap.close()
        await stack.close()
    result["wall_s"] = round(time.monotonic() - started)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


def write(result: dict[str, Any], record: Path | None) -> None:
    (RESULTS / "history").mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    (RESULTS / "latest.json").write_text(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / "history" / f"{stamp}.json").write_text(text)
    if record is None:
        return
    f, m = result["fixed"], result["machine"]
    lines = [
        "",
        f"## Pipeline load (bench/load.py), {result['date']}",
        "",
        f"- command: `{result['command']}` (wall {result['wall_s']} s)",
        f"- machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, commit "
        f"`{m['commit']}`, load average at start {m['loadavg_at_start']}",
        f"- results: `bench/results/latest.json` (copy in `bench/results/history/{stamp}.json`)",
        "",
        "| measure | value | target |",
        "| --- | --: | --: |",
        f"| ack latency p50 at {f['rate']}/s × {f['seconds']} s | {f['ack_ms']['p50']:.0f} ms | |",
        f"| ack latency p95 | {f['ack_ms']['p95']:.0f} ms | |",
        f"| ack latency p99 | {f['ack_ms']['p99']:.0f} ms | ≤ 300 ms |",
        f"| the same p50 / p99 as the bench's tap read it | {f['tap_ack_ms']['p50']:.0f} / "
        f"{f['tap_ack_ms']['p99']:.0f} ms | |",
        f"| of which intake's answer p50 / p99 | {f['ack_split_ms']['answer']['p50']:.0f} / "
        f"{f['ack_split_ms']['answer']['p99']:.0f} ms | |",
        f"| then to delivery p50 / p99 | {f['ack_split_ms']['after_answer']['p50']:.0f} / "
        f"{f['ack_split_ms']['after_answer']['p99']:.0f} ms | |",
        f"| offered rate (sent by the bench) | {f['offered_per_s']}/s | |",
        f"| lost / duplicated (all phases) | {result['lost']} / {result['duplicated']} | 0 / 0 |",
        f"| sustained rate (p99 ack < {result['p99_limit_ms']:.0f} ms) "
        f"| {result['sustained_contacts_per_s']:.0f} contacts/s | ≥ 200 |",
        f"| raw aio-pika hop ceiling | {result['ceiling_hops_per_s']} hops/s | |",
        f"| raw nx-27017 single inserts | {result['ceiling_inserts_per_s']} inserts/s | |",
        "",
        "CPU per contact (ms): "
        + ", ".join(f"{s} {v}" for s, v in f["cpu_ms_per_contact"].items())
        + f"; the bench's own gateways and tap {f['bench_cpu_ms_per_contact']}",
        *store_counts.markdown(f.get("store", {}), f["new_tickets"]),
        "",
        "Ack latency: contact sent → acknowledgement delivered (notify's `delivered_at`); "
        "at the tap: → the bench's tap reading the receipt.",
        "",
        "| step rate | offered | sent | accepted | p50 | p99 | answer p99 | p99 at the tap "
        "| lost | dup |",
        "| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
        *(
            f"| {s['rate']}/s | {s['offered_per_s']}/s | {s['sent']} | {s['accepted']} "
            f"| {s['ack_ms']['p50']:.0f} ms | {s['ack_ms']['p99']:.0f} ms "
            f"| {s['ack_split_ms']['answer']['p99']:.0f} ms | {s['tap_ack_ms']['p99']:.0f} ms "
            f"| {s['lost']} | {s['duplicated']} |"
            for s in result["steps"]
        ),
        "",
        f"Queue depths at the end: {result['queue_depths_at_end'] or 'all empty'}.",
    ]
    if soak := result.get("soak"):
        lines.append(
            f"Soak {soak['rate']}/s × {soak['seconds']} s, RSS MB before → after: "
            + ", ".join(
                f"{s} {soak['rss_mb_before'][s]} → {soak['rss_mb_after'][s]}"
                for s in soak["rss_mb_before"]
            )
            + "."
        )
    if profile := result.get("profile"):
        lines += ["", *profiling.markdown(profile, result["profile_rate"], result["profile_s"])]
    if comparison := result.get("vs_peer"):
        lines += peer_report.comparison_markdown(result, result["peer"], comparison)
    with record.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="contacts/s of the fixed run")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the fixed run")
    parser.add_argument(
        "--steps",
        type=float,
        nargs="*",
        default=[10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 135, 150, 175, 200],
        help="rising rates; 10/s apart where the peer and the 1.5x target lie (#20)",
    )
    parser.add_argument("--step-s", type=float, default=20.0)
    parser.add_argument("--p99-limit-ms", type=float, default=1000.0)
    parser.add_argument("--ack-deadline-s", type=float, default=60.0)
    parser.add_argument("--ceiling-s", type=float, default=10.0)
    parser.add_argument("--soak-s", type=float, default=0.0, help="the issue asks for 600")
    parser.add_argument("--soak-rate", type=float, default=25.0)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy every service and the store, after --rate"
    )
    parser.add_argument("--profile-rate", type=float, default=20.0, help="a modest load")
    parser.add_argument("--profile-s", type=float, default=20.0)
    parser.add_argument(
        "--peer", action="store_true", help="then django-helpdesk alone (bench/peer), and the ratio"
    )
    peer_run.add_arguments(parser)
    parser.add_argument("--record", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args()
    if args.peer and args.p99_limit_ms > COMPARED_AT_P99_MS:
        parser.error(f"--peer compares at --p99-limit-ms {COMPARED_AT_P99_MS:.0f} or less")
    result = asyncio.run(run(args))
    if args.peer:
        compare_with_peer(result, args)
    write(result, args.record)
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict | list)}))
    if "peer_error" in result:
        sys.exit(1)


def compare_with_peer(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Measure the peer once TripCare's stack is down (each has the machine to itself) and
    add the ratio; a peer that fails is reported without discarding TripCare's results."""
    try:
        result["peer"] = asyncio.run(peer_run.measure(args))
    except Exception as exc:
        print(f"peer phase failed: {exc!r}", file=sys.stderr)
        result["peer_error"] = repr(exc)
        return
    result["vs_peer"] = peer_report.compare(result, result["peer"])
    result["peer_best_tickets_per_s"] = result["peer"]["best_tickets_per_s"]
    result["ratio_vs_peer"] = result["vs_peer"]["ratio"]


if __name__ == "__main__":
    main()
