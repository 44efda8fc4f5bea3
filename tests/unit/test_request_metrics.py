"""HTTP latency is recorded per route template and status, for every answer."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import CollectorRegistry

from runtime.ops import instrument_http


async def test_requests_are_timed_by_route_template_and_status() -> None:
    app, registry = FastAPI(), CollectorRegistry()
    instrument_http(app, registry)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404)
        return {"id": thing_id}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        for path in ("/things/a", "/things/b", "/things/missing", "/nowhere"):
            await http.get(path)

    def count(route: str, status: str) -> float | None:
        return registry.get_sample_value(
            "http_request_duration_seconds_count",
            {"method": "GET", "route": route, "status": status},
        )

    assert count("/things/{thing_id}", "200") == 2
    assert count("/things/{thing_id}", "404") == 1
    assert count("unmatched", "404") == 1
