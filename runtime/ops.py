"""Operational endpoints every service serves: /healthz, /readyz, /metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.errors import StrictJsonRoute

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def ops_router(registry: CollectorRegistry, readiness: ReadinessCheck) -> APIRouter:
    """The probes answer HEAD as GET: uptime checkers and load balancers probe with it."""
    router = APIRouter(tags=["ops"], route_class=StrictJsonRoute)
    answers = Gauge(
        "readiness_check",
        "Each /readyz check at its last call, 1 passed or 0 failed (the kubelet's and "
        "compose's probes call /readyz every few seconds)",
        ("check",),
        registry=registry,
    )

    @router.get("/healthz")
    @router.head("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """The process is alive (liveness)."""
        return {"status": "ok"}

    @router.get("/readyz")
    @router.head("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Store and broker reachable and consumers started (readiness)."""
        checks = await readiness()
        for check, passed in checks.items():
            answers.labels(check).set(int(passed))
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    @router.head("/metrics", include_in_schema=False)
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
    app.add_middleware(RequestLatency, latency=latency)


class RequestLatency:
    """Times every request as plain ASGI: Starlette's ``@app.middleware("http")`` costs a
    task and a memory stream per request, on every gateway's contact."""

    def __init__(self, app: ASGIApp, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            self.latency.labels(scope["method"], template, status).observe(
                time.perf_counter() - started
            )
