"""``make soak``: a steady load for ten minutes; does any service's memory keep growing?

A leak shows as RSS that climbs minute after minute under constant load, not as
a difference between two samples, so the soak plays the load in one-minute
slices and records every service's RSS, the slice's ack latency and its losses
after each. Writes ``bench/results/soak.json`` and, with ``--record``, appends a
table to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.harness import BenchStack, Gateways, Tap, make_key, rss_mb
from bench.load import RESULTS, machine, measure, play


async def run(args: argparse.Namespace) -> dict[str, Any]:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    result: dict[str, Any] = {"machine": machine(), "command": " ".join(["python", *sys.argv])}
    stack = BenchStack(amqp_url)
    tap: Tap | None = None
    started = time.monotonic()
    try:
        await asyncio.to_thread(stack.start_all)
        tap = Tap(amqp_url, stack.topology)
        await tap.start()
        limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            key = await make_key(stack, http)
            url = stack.url("intake")
            gateways = Gateways(stack.namespace)
            await measure(tap, await play(http, url, key, gateways, args.rate, 10), 30)  # warm-up
            pids = {s: stack.pid(s) for s in stack.processes}
            slices: list[dict[str, Any]] = [
                {"minute": 0, "rss_mb": {s: round(rss_mb(p), 1) for s, p in pids.items()}}
            ]
            for minute in range(1, int(args.seconds // args.slice_s) + 1):
                contacts = await play(http, url, key, gateways, args.rate, args.slice_s)
                done = await measure(tap, contacts, 60)
                sample = {
                    "minute": minute,
                    "rss_mb": {s: round(rss_mb(p), 1) for s, p in pids.items()},
                    "sent": done["sent"],
                    "lost": done["lost"],
                    "duplicated": done["duplicated"],
                    "p99_ack_ms": round(done["ack_ms"]["p99"]),
                }
                slices.append(sample)
                print(json.dumps(sample), flush=True)
        result["rate"], result["seconds"] = args.rate, args.seconds
        result["slices"] = slices
        result["lost"] = sum(s.get("lost", 0) for s in slices)
        result["duplicated"] = sum(s.get("duplicated", 0) for s in slices)
        result["rss_growth_mb"] = {
            s: round(slices[-1]["rss_mb"][s] - slices[1]["rss_mb"][s], 1) for s in pids
        }
    finally:
        if tap is not None:
            await tap.close()
        await stack.close()
    result["wall_s"] = round(time.monotonic() - started)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


def write(result: dict[str, Any], record: Path | None) -> None:
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    if record is None:
        return
    services = list(result["rss_growth_mb"])
    m = result["machine"]
    lines = [
        "",
        f"## Soak (bench/soak.py), {result['date']}",
        "",
        f"- command: `{result['command']}` (wall {result['wall_s']} s)",
        f"- machine: {m['nproc']} cores ({m['cpu']}), commit `{m['commit']}`, "
        f"load average at start {m['loadavg_at_start']}",
        f"- {result['rate']} contacts/s for {result['seconds']:.0f} s: "
        f"lost {result['lost']}, duplicated {result['duplicated']}; RSS growth from minute 1 "
        "to the end: " + ", ".join(f"{s} {v:+.1f} MB" for s, v in result["rss_growth_mb"].items()),
        "",
        "| minute | " + " | ".join(f"{s} RSS MB" for s in services) + " | p99 ack | lost | dup |",
        "| --: |" + " --: |" * len(services) + " --: | --: | --: |",
        *(
            f"| {s['minute']} | "
            + " | ".join(str(s["rss_mb"][n]) for n in services)
            + f" | {s.get('p99_ack_ms', '')} | {s.get('lost', '')} | {s.get('duplicated', '')} |"
            for s in result["slices"]
        ),
    ]
    with record.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="contacts/s, steady")
    parser.add_argument("--seconds", type=float, default=600.0, help="the issue asks for 600")
    parser.add_argument("--slice-s", type=float, default=60.0)
    parser.add_argument("--record", type=Path, help="append a section to this Markdown file")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    write(result, args.record)
    print(json.dumps({k: result[k] for k in ("lost", "duplicated", "rss_growth_mb")}))
    sys.exit(0 if result["lost"] == 0 and result["duplicated"] == 0 else 1)


if __name__ == "__main__":
    main()
