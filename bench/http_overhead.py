"""What tracing costs one HTTP request when nothing exports spans (#20).

``python bench/http_overhead.py [--requests 3000] [--runs 3]`` sends JSON posts to a
one-route FastAPI app through httpx's ASGI transport, three ways: no tracing at all,
OpenTelemetry's FastAPI instrumentation with the sampler the services use when no
exporter is set (it still builds a non-recording span per request and per ASGI
message), and ``runtime.telemetry.CarriedTrace``, which the services install instead
(``records_spans``). CPU time of this process per request; the median of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from medians import print_medians  # noqa: E402
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

from runtime.telemetry import UNREAD, CarriedTrace  # noqa: E402

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
VARIANTS = ("no tracing", "FastAPI instrumentation, unread", "carried trace (the services)")


def app(variant: str) -> FastAPI:
    built = FastAPI()

    @built.post("/v1/contacts")
    async def contact(body: dict[str, Any]) -> dict[str, bool]:
        return {"ok": bool(body)}

    if variant == VARIANTS[1]:
        FastAPIInstrumentor.instrument_app(built, tracer_provider=TracerProvider(sampler=UNREAD))
    elif variant == VARIANTS[2]:
        built.add_middleware(CarriedTrace)
    return built


async def per_request(variant: str, count: int) -> float:
    transport = httpx.ASGITransport(app=app(variant))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.bench") as client:
        for _ in range(200):
            await client.post("/v1/contacts", json={"text": "warm up"})
        started = time.process_time()
        for _ in range(count):
            await client.post(
                "/v1/contacts", json={"text": "hi"}, headers={"traceparent": TRACEPARENT}
            )
        return (time.process_time() - started) / count


async def main(count: int, runs: int) -> None:
    results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for _ in range(runs):
        for variant in VARIANTS:
            results[variant].append(await per_request(variant, count) * 1e6)
    print_medians(results, "request", f"{count} requests")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.runs))
