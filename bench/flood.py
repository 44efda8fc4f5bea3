"""A 1.5 MB JSON body of 100,000 unknown keys: what it costs intake and feedback (#17).

For one POST: the status, the size of the answer and its time; then three at once
while ``/readyz`` is polled, and the slowest ``/readyz`` meanwhile (an event loop
stalled by the first answer's work shows here). On intake's ``/v1/contacts`` (with
a gateway key) and on feedback's ``/v1/surveys/{token}`` with no valid link. Own
stack (intake and feedback only), traffic to 127.0.0.1, four requests per endpoint.

    .venv/bin/python bench/flood.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import orjson

from bench.harness import BenchStack, make_key

KEYS = 100_000
IN_FLIGHT = 3


async def slowest_readyz(http: httpx.AsyncClient, base: str, stop: asyncio.Event) -> float:
    worst = 0.0
    while not stop.is_set():
        started = time.perf_counter()
        await http.get(f"{base}/readyz")
        worst = max(worst, time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return worst


async def measure(http: httpx.AsyncClient, name: str, url: str, headers: dict[str, str]) -> None:
    flood = orjson.dumps({"text": "hi", **{f"k{i}": i for i in range(KEYS)}})
    started = time.perf_counter()
    one = await http.post(url, content=flood, headers=headers)
    alone = time.perf_counter() - started
    stop = asyncio.Event()
    probe = asyncio.create_task(slowest_readyz(http, url.split("/v1/")[0], stop))
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    await asyncio.gather(
        *[http.post(url, content=flood, headers=headers) for _ in range(IN_FLIGHT)]
    )
    together = time.perf_counter() - started
    stop.set()
    worst = await probe
    print(
        f"{name}: {len(flood) / 1e6:.2f} MB -> {one.status_code}, answer {len(one.content):,} "
        f"bytes in {alone * 1000:.0f} ms; {IN_FLIGHT} at once {together * 1000:.0f} ms, "
        f"slowest /readyz meanwhile {worst * 1000:.0f} ms"
    )


async def main() -> None:
    stack = BenchStack(os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    try:
        await stack.astart("intake")
        await stack.astart("feedback")
        async with httpx.AsyncClient(timeout=120) as http:
            key = await make_key(stack, http)
            json_body = {"content-type": "application/json"}
            await measure(
                http,
                "intake /v1/contacts",
                f"{stack.url('intake')}/v1/contacts",
                {**key, **json_body},
            )
            await measure(
                http,
                "feedback /v1/surveys/{token}",
                f"{stack.url('feedback')}/v1/surveys/x.y",
                json_body,
            )
    finally:
        await stack.close()


if __name__ == "__main__":
    asyncio.run(main())
