"""``make bench`` (#8): supplier event → last affected traveller notified, for 1,000 travellers.

Starts its own stack (``bench.harness.BenchStack``), plays the booking system
(1,000 bookings on one flight, in two tenants, four languages, published on the
bus), waits until routing's trips read model holds them all, posts one signed
cancellation, and times every traveller's ``disruption_notice`` as notify
announces it delivered (``notification.delivered`` on the bus; the in-app inbox
delivers on write). Writes ``bench/results/supplier.json`` and, with
``--record``, appends a section to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.harness import BenchStack, Tap, percentiles, wait_until  # noqa: E402
from bench.load import machine  # noqa: E402
from contracts import events  # noqa: E402
from contracts.envelope import Envelope  # noqa: E402
from contracts.events import Channel, Traveller  # noqa: E402
from runtime import webhook_signature  # noqa: E402

RESULTS = ROOT / "bench" / "results"
NOTICE = "disruption_notice"
SECRET = "bench-partner-secret-0123456789"
LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")


def split(total: int) -> dict[str, int]:
    """Three fifths in one tenant, the rest in another."""
    first = total * 3 // 5
    return {"acme": first, "globex": total - first}


async def load_bookings(stack: BenchStack, tenants: dict[str, int], departs: datetime) -> None:
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(stack.topology.events_exchange)
        for tenant, count in tenants.items():
            for i in range(count):
                booking = events.BookingUpserted(
                    booking_id=f"{tenant}-bk-{i}",
                    traveller=Traveller(id=f"{tenant}-trav-{i}", language=LANGUAGES[i % 4]),
                    channel=Channel.IN_APP,
                    segments=[
                        events.BookingSegment(kind="flight", reference="CA1501", starts_at=departs)
                    ],
                    updated_at=datetime.now(UTC),
                )
                message = Envelope[Any](
                    message_id=uuid.uuid4().hex,
                    correlation_id=booking.booking_id,
                    tenant_id=tenant,
                    occurred_at=datetime.now(UTC),
                    schema_name=booking.schema_name,
                    schema_version=booking.schema_version,
                    payload=booking,
                )
                await exchange.publish(
                    aio_pika.Message(
                        message.model_dump_json().encode(),
                        message_id=message.message_id,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=booking.schema_name,
                )


async def booked(
    stack: BenchStack, http: httpx.AsyncClient, tenants: dict[str, int], departs: datetime
) -> bool:
    params = {"resource": "flight", "reference": "CA1501", "date": departs.date().isoformat()}
    for tenant, count in tenants.items():
        found = await http.get(
            f"{stack.url('routing')}/v1/trips",
            params={**params, "limit": "1000"},
            headers=stack.token("bench", tenants=(tenant,)),
        )
        if found.status_code != 200 or len(found.json()) < count:
            return False
    return True


class Stages:
    """When the last ``proactive.contact`` (routing's fan-out) and the last
    ``ticket.disruption_notice`` (intake's tickets) crossed the bus: where the time goes."""

    KEYS = ("proactive.contact", "ticket.disruption_notice")

    def __init__(self, amqp_url: str, exchange: str) -> None:
        self.amqp_url = amqp_url
        self.exchange = exchange
        self.last: dict[str, float] = {}
        self.seen: dict[str, set[str]] = {key: set() for key in self.KEYS}
        self._connection: Any = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect(self.amqp_url)
        channel = await self._connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in self.KEYS:
            await queue.bind(self.exchange, routing_key=key)
        await queue.consume(self._on_message, no_ack=True)

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        key = message.routing_key or ""
        self.seen.setdefault(key, set()).add(str(message.message_id))
        self.last[key] = time.monotonic()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    result: dict[str, Any] = {"machine": machine(), "command": " ".join(["python", *sys.argv])}
    partners = orjson.dumps({"ca": {"secrets": [SECRET]}}).decode()
    stack = BenchStack(amqp_url, {"TRIPCARE_SUPPLIER_PARTNERS": partners})
    tenants = split(args.travellers)
    travellers = [f"{t}-trav-{i}" for t, n in tenants.items() for i in range(n)]
    departs = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=args.departs_in_h)
    started = time.monotonic()
    tap = Tap(amqp_url, stack.topology)
    stages = Stages(amqp_url, stack.topology.events_exchange)
    try:
        print(f"namespace {stack.namespace}; starting the stack …", flush=True)
        await asyncio.to_thread(stack.start_all)
        await tap.start()
        await stages.start()
        async with httpx.AsyncClient(timeout=30) as http:
            loading = time.monotonic()
            await load_bookings(stack, tenants, departs)
            deadline = time.monotonic() + 120
            while not await booked(stack, http, tenants, departs):
                if time.monotonic() > deadline:
                    raise RuntimeError("the trips read model did not take every booking in 120 s")
                await asyncio.sleep(1.0)
            result["bookings_loaded_s"] = round(time.monotonic() - loading, 1)
            print(
                f"{args.travellers} bookings in the read model; posting the cancellation",
                flush=True,
            )
            body = orjson.dumps(
                {
                    "event_id": f"bench-{uuid.uuid4().hex[:8]}",
                    "kind": "flight_cancelled",
                    "reference": "CA1501",
                    "service_date": departs.date().isoformat(),
                    "details": {"reason": "bench"},
                }
            )
            header = webhook_signature.sign(SECRET, int(time.time()), body)
            t0 = time.monotonic()
            posted = await http.post(
                f"{stack.url('routing')}/v1/suppliers/ca/events",
                content=body,
                headers={webhook_signature.HEADER: header, "content-type": "application/json"},
            )
            if posted.status_code != 202:
                raise RuntimeError(f"supplier event refused: {posted.status_code} {posted.text}")
            await wait_until(
                lambda: all(tap.count(t, NOTICE) for t in travellers), args.deadline_s, 0.5
            )
        arrivals = [a - t0 for t in travellers if (a := tap.first(t, NOTICE)) is not None]
        result["fixed"] = {
            "travellers": args.travellers,
            "tenants": tenants,
            "notified": len(arrivals),
            "duplicated": sum(max(0, tap.count(t, NOTICE) - 1) for t in travellers),
            "last_notified_s": round(max(arrivals), 2) if arrivals else None,
            "first_notified_s": round(min(arrivals), 2) if arrivals else None,
            "notice_s": {k: round(v, 2) for k, v in percentiles(arrivals).items()},
            "notices_per_s": round(len(arrivals) / max(arrivals), 1) if arrivals else 0.0,
            "stages_s": {
                key: {"messages": len(stages.seen[key]), "last_s": round(stages.last[key] - t0, 2)}
                for key in Stages.KEYS
                if key in stages.last
            },
        }
    finally:
        await stages.close()
        await tap.close()
        await stack.close()
    result["wall_s"] = round(time.monotonic() - started)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


def write(result: dict[str, Any], record: Path | None) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "supplier.json").write_text(json.dumps(result, indent=2) + "\n")
    if record is None:
        return
    f, m = result["fixed"], result["machine"]
    lines = [
        "",
        f"## Supplier event → travellers notified (bench/supplier_bench.py), {result['date']}",
        "",
        f"- command: `{result['command']}` (wall {result['wall_s']} s)",
        f"- machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, commit "
        f"`{m['commit']}`, load average at start {m['loadavg_at_start']}",
        "- results: `bench/results/supplier.json`",
        "",
        "| measure | value |",
        "| --- | --: |",
        f"| affected travellers (tenants) | {f['travellers']} "
        f"({', '.join(f'{t} {n}' for t, n in f['tenants'].items())}) |",
        f"| bookings into the read model | {result['bookings_loaded_s']} s |",
        f"| notified / duplicated | {f['notified']} / {f['duplicated']} |",
        f"| supplier event → first traveller notified | {f['first_notified_s']} s |",
        f"| supplier event → median notice | {f['notice_s']['p50']} s |",
        f"| supplier event → 95th percentile notice | {f['notice_s']['p95']} s |",
        f"| **supplier event → last traveller notified** | **{f['last_notified_s']} s** |",
        f"| throughput | {f['notices_per_s']} notices/s |",
        *(
            f"| last `{key}` on the bus ({v['messages']} messages) | {v['last_s']} s |"
            for key, v in f.get("stages_s", {}).items()
        ),
    ]
    with record.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--travellers", type=int, default=1000)
    parser.add_argument("--departs-in-h", type=float, default=30.0)
    parser.add_argument("--deadline-s", type=float, default=150.0)
    parser.add_argument("--record", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    write(result, args.record)
    print(json.dumps(result["fixed"]))


if __name__ == "__main__":
    main()
