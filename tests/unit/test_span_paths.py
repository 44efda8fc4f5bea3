"""Recorded request spans name the route's template, never the path: a traveller's signed
link (tracking, survey, appeal, file) carries its token in the path, and spans go to the
collector, which staff read."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runtime.telemetry import instrument_requests

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJUQy0xIn0.c2lnbmF0dXJlLW9mLXRoZS1saW5r"


def traced_app() -> tuple[FastAPI, InMemorySpanExporter]:
    app = FastAPI()

    @app.get("/v1/track/{token}")
    async def track(token: str) -> dict[str, str]:
        return {}

    @app.post("/v1/surveys/{token}")
    async def rate(token: str) -> dict[str, str]:
        return {}

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    instrument_requests(app, provider)
    return app, exported


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", f"/v1/track/{TOKEN}?lang=ja", "/v1/track/{token}"),
        ("POST", f"/v1/surveys/{TOKEN}", "/v1/surveys/{token}"),
        ("GET", f"/v1/track/{TOKEN}/", "/v1/track/{token}"),
        ("GET", f"/v1/files/{TOKEN}", "unmatched"),
    ],
)
async def test_no_span_attribute_holds_the_link_token(
    method: str, path: str, template: str
) -> None:
    app, exported = traced_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        await client.request(method, path)

    spans = exported.get_finished_spans()
    assert spans
    for span in spans:
        assert all(TOKEN not in str(value) for value in (span.attributes or {}).values())
        assert TOKEN not in span.name
    (server,) = [s for s in spans if s.attributes and "http.target" in s.attributes]
    assert server.attributes is not None
    assert server.attributes["http.target"] == template
    url = urlsplit(str(server.attributes["http.url"]))
    assert (url.netloc, url.path.lstrip("/")) == ("intake.test", template.lstrip("/"))


def routed_app() -> tuple[FastAPI, InMemorySpanExporter]:
    """The services' shape: routes on module-level routers, included (one with a prefix)."""
    tracking, surveys = APIRouter(), APIRouter()

    @tracking.get("/v1/track/{token}")
    async def track(token: str) -> dict[str, str]:
        return {}

    @surveys.post("/{token}")
    async def rate(token: str) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(tracking)
    app.include_router(surveys, prefix="/v1/surveys")
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    instrument_requests(app, provider)
    return app, exported


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", f"/v1/track/{TOKEN}", "/v1/track/{token}"),
        ("POST", f"/v1/surveys/{TOKEN}", "/v1/surveys/{token}"),
        ("GET", f"/v1/files/{TOKEN}", "unmatched"),
    ],
)
async def test_a_route_on_an_included_router_is_named_by_its_template(
    method: str, path: str, template: str
) -> None:
    app, exported = routed_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        await client.request(method, path)

    (server,) = [s for s in exported.get_finished_spans() if "http.target" in (s.attributes or {})]
    assert server.attributes is not None
    assert server.attributes["http.target"] == template
