"""``make chaos``: faults under a bounded load; passes only with 0 lost and 0 duplicated acks.

Each scenario records every accepted contact (2xx, or published with a confirm) and
every final effect (``notification.delivered`` on the bus, checked against notify's
inbox for anything the tap may have missed). "Lost": accepted, no acknowledgement
within the deadline. "Duplicated": a traveller with two acknowledgement deliveries.

- ``kill``: ``kill -9`` of each of the four services three times, in random order at
  random moments, during 5,000 contacts (``--kill-contacts``), each followed by a
  restart; gateways retry the same body until intake answers (as real gateways do);
- ``broker``: ``rabbitmqctl stop_app`` / ``start_app`` during load; services must
  reconnect unattended within 30 s. The broker is shared: only with ``--broker``;
- ``double``: every ``contact.received`` published on the bus twice, same message id;
- ``poison``: a contact that does not validate lands in the DLQ while traffic flows;
- ``store``: the store unreachable for 30 s behind a TCP proxy (``bench/faultproxy.py``),
  once with connections reset and once black-holed; nothing accepted may be lost;
- ``order``: each conversation's three messages published last-first: one ticket
  holding all three contacts, one acknowledgement.

``--short`` (CI): 120 contacts, two kills of random services, a 10 s store outage, no
broker restart; under 3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aio_pika
import httpx
import orjson

from bench.faultproxy import FaultProxy
from bench.harness import (
    ACK,
    TENANT,
    BenchStack,
    Contact,
    Gateways,
    Tap,
    envelope,
    make_key,
    post_contact,
    publish,
    wait_until,
)
from contracts.events import ContactReceived
from deploy import local

# Short leases and sweeps so that work of a killed process is picked up within seconds.
CHAOS_ENV = {
    "TRIPCARE_NOTIFY_LEASE_S": "10",
    "TRIPCARE_STORE_RETRY_BUDGET_S": "60",
}


class Scenario:
    def __init__(
        self,
        stack: BenchStack,
        tap: Tap,
        http: httpx.AsyncClient,
        key: dict[str, str],
        proxy: FaultProxy,
    ):
        self.stack, self.tap, self.http, self.key, self.proxy = stack, tap, http, key, proxy
        self.gateways = Gateways(stack.namespace + "-" + os.urandom(3).hex())
        self.accepted: list[Contact] = []

    async def gateway_load(self, count: int, rate: float, retry_for_s: float = 60.0) -> None:
        """``count`` new contacts at ``rate``/s over HTTP, each retried until accepted."""
        tasks = []
        for _ in range(count):
            contact = Contact(self.gateways.new_body(), "", "new")
            contact.traveller = contact.body["traveller"]["id"]
            self.gateways.counter += 1
            tasks.append(
                asyncio.create_task(
                    post_contact(
                        self.http,
                        self.stack.url("intake"),
                        self.key,
                        contact,
                        retry_for_s=retry_for_s,
                    )
                )
            )
            self.accepted.append(contact)
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=retry_for_s + 60)
        self.accepted = [c for c in self.accepted if 200 <= c.status < 300]

    async def verdict(self, name: str, deadline_s: float, **extra: Any) -> dict[str, Any]:
        travellers = [c.traveller for c in self.accepted]
        await wait_until(lambda: all(self.tap.first(t) for t in travellers), deadline_s)
        await asyncio.sleep(2)  # a late second delivery has time to show itself
        missing = [t for t in travellers if not self.tap.first(t)]
        # The tap's exclusive queue misses what is published while the broker is down:
        # ask notify's inbox before calling an acknowledgement lost.
        inbox_found = inbox_twice = 0
        for traveller in missing:
            response = await self.http.get(
                f"{self.stack.url('notify')}/v1/inbox/{traveller}",
                headers=self.stack.token("chaos", tenants=(TENANT,)),
            )
            delivered = (
                [d for d in response.json() if d["template"] == ACK and d["status"] == "delivered"]
                if response.status_code == 200
                else []
            )
            if delivered:
                inbox_found += 1
            inbox_twice += len(delivered) > 1
        lost = len(missing) - inbox_found
        duplicated = sum(1 for t in travellers if self.tap.count(t) > 1) + inbox_twice
        result = {
            "scenario": name,
            "accepted": len(travellers),
            "acknowledged": len(travellers) - lost,
            "lost": lost,
            "duplicated": duplicated,
            "found_only_in_inbox": inbox_found,
            "passed": lost == 0 and duplicated == 0 and len(travellers) > 0,
            **extra,
        }
        if lost:
            result["lost_examples"] = missing[:5]
        if duplicated:
            result["duplicated_examples"] = [
                [(d.ticket_id, d.notification_id) for d in self.tap.seen[(t, ACK)]]
                for t in travellers
                if self.tap.count(t) > 1
            ][:3]
        return result


async def scenario_kill(
    s: Scenario, contacts: int, rate: float, victims: list[str], rng: random.Random
) -> dict[str, Any]:
    duration = contacts / rate
    moments = sorted(rng.uniform(0.1, 0.85) * duration for _ in victims)
    log: list[str] = []

    async def killer() -> None:
        started = time.monotonic()
        for moment, service in zip(moments, victims, strict=True):
            await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
            s.stack.kill9(service)
            log.append(f"{time.monotonic() - started:.1f}s kill -9 {service}")
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await s.stack.astart(service)
            log.append(f"{time.monotonic() - started:.1f}s {service} ready again")

    await asyncio.gather(s.gateway_load(contacts, rate), killer())
    return await s.verdict("kill -9", 90, events=log)


async def scenario_broker(s: Scenario, contacts: int, rate: float) -> dict[str, Any]:
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return {"scenario": "broker restart", "skipped": "rabbitmqctl not found", "passed": True}
    log: list[str] = []

    async def bounce() -> None:
        await asyncio.sleep(contacts / rate / 3)
        started = time.monotonic()
        await asyncio.to_thread(subprocess.run, [ctl, "stop_app"], check=True, timeout=60)
        log.append("stop_app")
        await asyncio.sleep(5)
        await asyncio.to_thread(subprocess.run, [ctl, "start_app"], check=True, timeout=120)
        log.append(f"start_app after {time.monotonic() - started:.1f}s")
        restarted = time.monotonic()
        while len(reconnected) < len(s.stack.ports) and time.monotonic() - restarted < 120:
            for service in set(s.stack.ports) - set(reconnected):
                try:  # a probe's patience (5 s), asked without blocking the load's event loop
                    answer = await s.http.get(f"{s.stack.url(service)}/readyz", timeout=5)
                except httpx.HTTPError:
                    continue
                if answer.status_code == 200:
                    reconnected[service] = round(time.monotonic() - restarted, 1)
            await asyncio.sleep(0.5)
        log.append(f"ready again, seconds after start_app: {reconnected}")

    reconnected: dict[str, float] = {}
    await asyncio.gather(s.gateway_load(contacts, rate, retry_for_s=90), bounce())
    result = await s.verdict("broker restart", 120, events=log)
    slow = {k: v for k, v in reconnected.items() if v > 30}
    missing = set(s.stack.ports) - set(reconnected)
    result["passed"] = result["passed"] and not slow and not missing
    return result


async def scenario_double(s: Scenario, contacts: int, rate: float) -> dict[str, Any]:
    connection = await aio_pika.connect(s.stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        for _ in range(contacts):
            contact = Contact(s.gateways.new_body(), "", "new")
            contact.traveller = contact.body["traveller"]["id"]
            s.gateways.counter += 1
            contact.sent = time.monotonic()
            body = envelope(contact)
            await publish(channel, s.stack.topology.events_exchange, body)
            await publish(channel, s.stack.topology.events_exchange, body)  # same message id
            contact.status = 202
            s.accepted.append(contact)
            await asyncio.sleep(1 / rate)
    finally:
        await connection.close()
    return await s.verdict("every message twice", 60, published=2 * contacts)


async def scenario_poison(s: Scenario, contacts: int, rate: float) -> dict[str, Any]:
    dlq = s.stack.topology.dead_letter_queue("intake", ContactReceived)
    poison_id = "poison-" + os.urandom(4).hex()
    connection = await aio_pika.connect(s.stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        bad = envelope(Contact(s.gateways.new_body(), "x", "new"), message_id=poison_id)
        del bad["payload"]["text"]  # required field: does not validate
        bad["payload"]["channel"] = "fax"
        load = asyncio.create_task(s.gateway_load(contacts, rate))
        await asyncio.sleep(contacts / rate / 2)
        await publish(channel, s.stack.topology.events_exchange, bad)
        await load
        dead: list[str] = []

        async def look() -> bool:
            queue = await channel.declare_queue(dlq, passive=True)
            message = await queue.get(no_ack=False, fail=False)
            if message is not None:
                dead.append(message.message_id or "")
                await message.nack(requeue=True)
            return poison_id in dead

        found = False
        for _ in range(40):  # bounded: 20 s
            if found := await look():
                break
            await asyncio.sleep(0.5)
    finally:
        await connection.close()
    result = await s.verdict("poison message", 60, poison_in_dlq=found)
    result["passed"] = result["passed"] and found
    return result


async def scenario_store(
    s: Scenario, contacts: int, rate: float, outage_s: float, mode: Literal["reset", "blackhole"]
) -> dict[str, Any]:
    log: list[str] = []

    async def outage() -> None:
        await asyncio.sleep(contacts / rate / 4)
        started = time.monotonic()
        s.proxy.cut(mode)
        log.append(f"store cut ({mode})")
        await asyncio.sleep(outage_s)
        s.proxy.heal()
        log.append(f"store back after {time.monotonic() - started:.1f}s")

    await asyncio.gather(s.gateway_load(contacts, rate, retry_for_s=outage_s + 60), outage())
    return await s.verdict(f"store unreachable {outage_s:.0f}s ({mode})", 120, events=log)


async def scenario_order(s: Scenario, conversations: int, rate: float) -> dict[str, Any]:
    connection = await aio_pika.connect(s.stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        for _ in range(conversations):
            first = Contact(s.gateways.new_body(), "", "new")
            first.traveller = first.body["traveller"]["id"]
            s.gateways.counter += 1
            later = [
                {**first.body, "channel_message_id": f"{first.body['channel_message_id']}-{n}"}
                for n in (2, 3)
            ]
            first.sent = time.monotonic()
            for body in (*reversed(later), first.body):  # the opening message arrives last
                await publish(
                    channel, s.stack.topology.events_exchange, envelope(Contact(body, "", "new"))
                )
            first.status = 202
            s.accepted.append(first)
            await asyncio.sleep(1 / rate)
    finally:
        await connection.close()
    result = await s.verdict("out of order", 60, published=3 * conversations)
    staff = s.stack.token("chaos", "manager")
    incomplete = []
    for contact in s.accepted:
        ticket_id = s.tap.tickets.get(contact.traveller)
        answer = await s.http.get(f"{s.stack.url('intake')}/v1/tickets/{ticket_id}", headers=staff)
        held = len(answer.json().get("contacts", [])) if answer.status_code == 200 else 0
        if held != 3:
            incomplete.append(f"{ticket_id}: {held} contacts")
    result["tickets_missing_contacts"] = incomplete[:5]
    result["passed"] = result["passed"] and not incomplete
    return result


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    stack = BenchStack(amqp_url, CHAOS_ENV)
    store = urlsplit(stack.mongo_url)
    proxy = FaultProxy(store.hostname or "127.0.0.1", store.port or 27017, local.free_port())
    await proxy.start()
    stack.env["MONGO_URL"] = proxy.url
    tap: Tap | None = None
    results: list[dict[str, Any]] = []
    n = 120 if args.short else args.contacts
    outage_s = 10.0 if args.short else 30.0
    rng = random.Random()
    if args.short:
        kill_contacts, victims = n, rng.sample(["intake", "routing", "notify"], 2)
    else:
        kill_contacts, victims = args.kill_contacts, 3 * ["intake", "routing", "notify", "feedback"]
        rng.shuffle(victims)
    try:
        await asyncio.to_thread(stack.start_all)
        tap = Tap(amqp_url, stack.topology)
        await tap.start()
        async with httpx.AsyncClient(timeout=10) as http:
            key = await make_key(stack, http)
            plan: list[tuple[str, Callable[[Scenario], Awaitable[dict[str, Any]]]]] = [
                ("kill", lambda s: scenario_kill(s, kill_contacts, args.rate, victims, rng)),
                ("double", lambda s: scenario_double(s, n // 2, args.rate)),
                ("poison", lambda s: scenario_poison(s, n // 2, args.rate)),
                ("store", lambda s: scenario_store(s, n, args.rate, outage_s, "reset")),
                ("order", lambda s: scenario_order(s, n // 4, args.rate)),
            ]
            if not args.short:
                plan.append(
                    ("store", lambda s: scenario_store(s, n, args.rate, outage_s, "blackhole"))
                )
            if args.broker and not args.short:
                plan.append(("broker", lambda s: scenario_broker(s, n, args.rate)))
            for name, scenario in plan:
                if args.only and name not in args.only:
                    continue
                print(f"scenario {name} …", flush=True)
                started = time.monotonic()
                result = await scenario(Scenario(stack, tap, http, key, proxy))
                result["seconds"] = round(time.monotonic() - started, 1)
                print("  " + json.dumps(result, ensure_ascii=False), flush=True)
                results.append(result)
    finally:
        if tap is not None:
            await tap.close()
        await stack.close()
        await proxy.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="CI: fewer contacts, no broker")
    parser.add_argument("--broker", action="store_true", help="also stop/start RabbitMQ (shared!)")
    parser.add_argument("--contacts", type=int, default=400)
    parser.add_argument("--kill-contacts", type=int, default=5_000, help="the kill scenario's")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument(
        "--only", nargs="*", choices=["kill", "double", "poison", "store", "order", "broker"]
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    started = time.monotonic()
    results = asyncio.run(run(args))
    if args.out:
        args.out.write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    passed = bool(results) and all(r["passed"] for r in results)
    print(f"chaos {'PASSED' if passed else 'FAILED'} in {time.monotonic() - started:.0f}s")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
