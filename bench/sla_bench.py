"""SLA scheduler lag: deadline → ``sla.breached`` on the bus, with 10,000 open tickets.

``python bench/sla_bench.py [--tickets 10000] [--spread-s 60] [--record docs/benchmarks.md]``

Starts routing alone as a process in a fresh namespace (its own nx-27017 unless
MONGO_URL is set; RabbitMQ from AMQP_URL), writes ``--tickets`` open case files
straight into routing's database, each with a resolution clock whose deadline
falls in a ``--spread-s`` window starting ``--lead-s`` from now, plus their
timers, then taps ``sla.breached`` and ``sla.warning`` on the bus. By default
the target is an hour, so each 80 % warning was sent 12 minutes before the
window (the cases say so) and only breaches fire; ``--with-warnings`` uses a
60 s target, so every warning also fires 12 s before its deadline. Reports the
lag from each deadline to the event's arrival (p50/p95/p99/max), how many fired,
and duplicates (a second event for the same ticket and clock). Writes
``bench/results/sla.json``; with ``--record`` appends a table to
``docs/benchmarks.md``. Bounded: gives up ``--grace-s`` after the last deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aio_pika
import orjson

from bench.harness import ROOT, BenchStack, percentiles, wait_until
from bench.load import machine
from contracts import events
from contracts.events import CategoryConfidence, Priority, SlaClock
from runtime.store import mongo_client
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.queues import DEFAULT_QUEUES, Rule
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import Route
from services.routing.domain.triage_view import TriageView
from services.routing.sla.domain import PriorityTerms, SlaPolicy, Targets, Tier
from services.routing.sla.store import TIMERS, expected_timers
from services.routing.store import CASES

RESULTS = ROOT / "bench" / "results"
DEFAULT_WARN_SHARE = 0.8


def policy(target_s: int) -> SlaPolicy:
    targets = Targets(
        first_response_s=target_s,
        next_response_s=target_s,
        resolution_s=target_s,
        supplier_s=target_s,
    )
    return SlaPolicy(priorities=dict.fromkeys(Priority, PriorityTerms(targets=targets)))


TRIAGE = TriageView(
    language="en",
    category="invoice",
    category_confidence=0.97,
    urgency="normal",
    sentiment="neutral",
    sentiment_confidence=0.9,
    top_categories=[CategoryConfidence(category="invoice", confidence=0.97)],
    model_version="bench",
)


def open_case(n: int, deadline: datetime, target_s: int) -> RoutingCase:
    """An open case whose only clock is resolution, due at ``deadline``; a warning that
    fell due before now was sent."""
    start = deadline - timedelta(seconds=target_s)
    case = RoutingCase.blank("acme", f"SLA-{n:05d}")
    case.take_opening(
        events.TicketOpened(
            ticket_id=case.id,
            channel=events.Channel.IN_APP,
            traveller=events.Traveller(id=f"trav-{n}", language="en"),
            text="invoice missing",
            opened_at=start,
        ),
        TRIAGE,
    )
    case.first_response_at = start  # answered: only the resolution clock runs
    queue = next(q for q in DEFAULT_QUEUES if q.id == "finance")
    assignment = Assignment(None, "left in queue")
    route = Route(queue, Rule.CATEGORY, assignment, Priority.NORMAL, "", None, policy(target_s))
    case.route(route, start, start, tier=Tier.NEW)
    resolution = case.sla.clocks[SlaClock.RESOLUTION]
    resolution.warned = resolution.warn_at is not None and resolution.warn_at < datetime.now(UTC)
    case.take_events()
    case.version = 1
    return case


async def seed(mongo_url: str, database: str, deadlines: list[datetime], target_s: int) -> float:
    """Insert the cases and their timers in batches; returns the seconds it took."""
    started = time.monotonic()
    client = mongo_client(mongo_url)
    try:
        db = client[database]
        for first in range(0, len(deadlines), 500):
            batch = deadlines[first : first + 500]
            cases = [open_case(first + i, d, target_s) for i, d in enumerate(batch)]
            await db[CASES].insert_many([c.model_dump(by_alias=True, mode="python") for c in cases])
            timers = [
                timer.model_dump(by_alias=True, mode="json")
                for case in cases
                for timer in expected_timers(case).values()
            ]
            await db[TIMERS].insert_many(timers)
    finally:
        await client.close()
    return time.monotonic() - started


class SlaTap:
    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, str, str], list[float]] = {}
        self.message_ids: set[str] = set()
        self.republished = 0

    async def on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        """First arrival per message id: the relay may publish a message twice (its fast
        path and its sweeper), which consumers ignore; a second *message* is a duplicate."""
        arrived = time.time()
        body = orjson.loads(message.body)
        if body["message_id"] in self.message_ids:
            self.republished += 1
            return
        self.message_ids.add(body["message_id"])
        payload = body["payload"]
        key = (body["schema_name"], payload["ticket_id"], payload["clock"])
        self.arrivals.setdefault(key, []).append(arrived)

    def count(self, schema: str) -> int:
        return sum(1 for key in self.arrivals if key[0] == schema)

    def lags(self, schema: str, due: dict[str, datetime]) -> list[float]:
        """Seconds from the deadline (breach) or the warning instant to the first arrival."""
        found = []
        for (name, ticket, _), arrivals in self.arrivals.items():
            if name == schema:
                found.append(arrivals[0] - due[ticket].timestamp())
        return found

    def duplicates(self) -> int:
        return sum(len(arrivals) - 1 for arrivals in self.arrivals.values())


async def run(args: argparse.Namespace) -> dict[str, Any]:
    stack = BenchStack(
        args.amqp_url,
        {"TRIPCARE_SLA_POLL_INTERVAL_S": str(args.poll_s), "TRIPCARE_LOG_LEVEL": "WARNING"},
    )
    connection = None
    try:
        await asyncio.to_thread(stack.start, "routing")
        tap = SlaTap()
        connection = await aio_pika.connect(args.amqp_url)
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1000)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in ("sla.breached", "sla.warning"):
            await queue.bind(stack.topology.events_exchange, routing_key=key)
        await queue.consume(tap.on_message, no_ack=True)

        begin = datetime.now(UTC) + timedelta(seconds=args.lead_s)
        deadlines = [
            begin + timedelta(seconds=args.spread_s * i / args.tickets) for i in range(args.tickets)
        ]
        target_s = 60 if args.with_warnings else 3600
        database = f"{stack.namespace}_routing"
        seeded_s = await seed(stack.mongo_url, database, deadlines, target_s)
        print(f"seeded {args.tickets:,} cases and timers in {seeded_s:.1f} s", file=sys.stderr)
        last = deadlines[-1]
        await wait_until(
            lambda: tap.count("sla.breached") >= args.tickets,
            (last - datetime.now(UTC)).total_seconds() + args.grace_s,
            0.5,
        )
        await asyncio.sleep(2)  # late duplicates

        due = {f"SLA-{n:05d}": d for n, d in enumerate(deadlines)}
        warn_due = {
            t: d - timedelta(seconds=target_s * (1 - DEFAULT_WARN_SHARE)) for t, d in due.items()
        }
        breach_lag = tap.lags("sla.breached", due)
        warn_lag = tap.lags("sla.warning", warn_due)
        early = sum(1 for lag in breach_lag + warn_lag if lag < 0)
        fired = Counter(key[0] for key in tap.arrivals)
        return {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "command": "python bench/sla_bench.py " + " ".join(sys.argv[1:]),
            "tickets": args.tickets,
            "spread_s": args.spread_s,
            "poll_interval_s": args.poll_s,
            "seed_s": round(seeded_s, 1),
            "breaches_fired": fired["sla.breached"],
            "warnings_fired": fired["sla.warning"],
            "missing_breaches": args.tickets - fired["sla.breached"],
            "duplicates": tap.duplicates(),
            "republished": tap.republished,
            "early": early,
            "breach_lag_ms": {k: _ms(v) for k, v in percentiles(breach_lag).items()},
            "warning_lag_ms": {k: _ms(v) for k, v in percentiles(warn_lag).items()},
            "target_s": target_s,
            "offered_timers_per_s": round(
                (2 if args.with_warnings else 1) * args.tickets / args.spread_s, 1
            ),
        }
    finally:
        if connection is not None:
            await connection.close()
        await stack.close()


def _cell(ms: float | None) -> str:
    return "—" if ms is None else f"{ms:,.1f} ms"


def _ms(seconds: float) -> float | None:
    return None if math.isnan(seconds) else round(seconds * 1000, 1)


def record(path: Path, result: dict[str, Any]) -> None:
    m = result["machine"]
    breach, warn = result["breach_lag_ms"], result["warning_lag_ms"]
    lines = [
        "",
        f"## SLA scheduler lag (issue #7), {result['at'][:16].replace('T', ' ')} UTC",
        "",
        f"- command: `{result['command'].strip()}`",
        f"- machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, commit {m['commit']}, "
        f"load average at start {m['loadavg_at_start']}",
        f"- {result['tickets']:,} open tickets, one resolution clock each "
        f"(target {result['target_s']} s, warning at 80 %), deadlines spread "
        f"over {result['spread_s']} s: "
        f"{result['offered_timers_per_s']} timers/s offered to one routing process on one "
        f"nx-27017; poll interval {result['poll_interval_s']} s",
        "",
        "| measure | breach (deadline → `sla.breached`) | warning (80 % → `sla.warning`) |",
        "| --- | --: | --: |",
        f"| fired | {result['breaches_fired']:,} | {result['warnings_fired']:,} |",
        f"| p50 lag | {_cell(breach['p50'])} | {_cell(warn['p50'])} |",
        f"| p95 lag | {_cell(breach['p95'])} | {_cell(warn['p95'])} |",
        f"| p99 lag | {_cell(breach['p99'])} | {_cell(warn['p99'])} |",
        f"| max lag | {_cell(breach['max'])} | {_cell(warn['max'])} |",
        "",
        f"Missing breaches: {result['missing_breaches']}; duplicates: {result['duplicates']}; "
        f"fired before their moment: {result['early']}.",
        "",
    ]
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--spread-s", type=float, default=60.0)
    parser.add_argument("--lead-s", type=float, default=40.0, help="first deadline from now")
    parser.add_argument("--grace-s", type=float, default=60.0, help="wait after the last one")
    parser.add_argument("--poll-s", type=float, default=0.5)
    parser.add_argument(
        "--with-warnings", action="store_true", help="60 s targets: warnings fire too"
    )
    parser.add_argument("--record", type=Path)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sla.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    if args.record:
        record(args.record, result)


if __name__ == "__main__":
    main()
