"""Operational endpoints every service serves: /healthz, /readyz, /metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def ops_router(registry: CollectorRegistry, readiness: ReadinessCheck) -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive (liveness)."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """Store and broker reachable and consumers started (readiness)."""
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def instrument_http(app: FastAPI, registry: CollectorRegistry) -> None:
    """Request latency by route template and status (templates keep cardinality bounded)."""
    latency = Histogram(
        "http_request_duration_seconds",
        "HTTP request latency",
        ("method", "route", "status"),
        registry=registry,
    )

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        latency.labels(request.method, template, response.status_code).observe(
            time.perf_counter() - started
        )
        return response
