"""Reading another service's API: the trace goes on, and no failure of the other side gets through.

The other service is an ``httpx.MockTransport``: what it receives is checked,
and what it answers (or fails to) is chosen per test.
"""

from __future__ import annotations

import httpx
import pytest
from opentelemetry import trace

from runtime.readers import ServiceReader, Unavailable
from runtime.telemetry import setup_tracing
from services.feedback.incidents_reader import IncidentsReader, OpenIncident

INCIDENT = {
    "id": "INC-1",
    "kind": "flight",
    "reference": "MU5101",
    "summary": "late",
    "affected": 3,
}


def answering(
    status: int, body: bytes = b"[]", seen: list[httpx.Request] | None = None
) -> ServiceReader:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    return ServiceReader("http://routing.test/", transport=httpx.MockTransport(handle))


def failing(error: Exception) -> ServiceReader:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error

    return ServiceReader("http://routing.test", transport=httpx.MockTransport(handle))


async def test_a_read_carries_the_persons_token_and_the_current_trace() -> None:
    setup_tracing("readers-test")
    seen: list[httpx.Request] = []
    reader = answering(200, b'{"ok": true}', seen)
    with trace.get_tracer("test").start_as_current_span("dashboard page") as page:
        async with reader.session("staff-token", **{"X-Tenant-Id": "acme"}) as routing:
            found = await routing.get("/v1/incidents", limit=20)

    assert found == {"ok": True}
    (request,) = seen
    assert str(request.url) == "http://routing.test/v1/incidents?limit=20"
    assert request.headers["authorization"] == "Bearer staff-token"
    assert request.headers["x-tenant-id"] == "acme"
    trace_id = format(page.get_span_context().trace_id, "032x")
    assert request.headers["traceparent"].split("-")[1] == trace_id


@pytest.mark.parametrize("status", [401, 404, 500, 503])
async def test_any_answer_but_200_reads_as_nothing(status: int) -> None:
    async with answering(status).session("t") as routing:
        assert await routing.get("/v1/queues") is None


async def test_a_lookup_tells_not_found_from_no_answer() -> None:
    async with answering(200, b'{"id": "a"}').session("t") as routing:
        assert await routing.lookup("/v1/agents/a") == {"id": "a"}
    async with answering(404).session("t") as routing:
        assert await routing.lookup("/v1/agents/b") is None
    for status in (401, 500, 503):
        with pytest.raises(Unavailable, match=str(status)):
            async with answering(status).session("t") as routing:
                await routing.lookup("/v1/agents/a")


@pytest.mark.parametrize(
    "reader",
    [
        failing(httpx.ConnectError("refused")),
        failing(httpx.ReadTimeout("too slow")),
        answering(200, b"<html>proxy error</html>"),
        ServiceReader("http://127.0.0.1:1", timeout_s=0.5),
    ],
    ids=["refused", "timeout", "not-json", "nobody-listening"],
)
async def test_no_usable_answer_is_unavailable_not_an_error(reader: ServiceReader) -> None:
    with pytest.raises(Unavailable):
        async with reader.session("t") as routing:
            await routing.get("/v1/queues")


async def test_the_dashboard_leaves_out_incidents_the_desk_closed() -> None:
    closed = {**INCIDENT, "id": "INC-2", "closed_at": "2026-11-25T02:00:00Z"}
    body = httpx.Response(200, json=[closed, {**INCIDENT, "closed_at": None}]).content
    up = IncidentsReader("http://routing.test", transport=answering(200, body).transport)
    assert [i.id for i in await up.open_incidents("t", "acme") or []] == ["INC-1"]


async def test_the_dashboard_reads_open_incidents_or_says_routing_cannot() -> None:
    body = httpx.Response(200, json=[INCIDENT]).content
    up = IncidentsReader("http://routing.test", transport=answering(200, body).transport)
    assert await up.open_incidents("t", "acme") == [
        OpenIncident(id="INC-1", kind="flight", reference="MU5101", summary="late", affected=3)
    ]
    forbidden = IncidentsReader("http://routing.test", transport=answering(403).transport)
    assert await forbidden.open_incidents("t", "acme") is None
    down = IncidentsReader(
        "http://routing.test", transport=failing(httpx.ConnectError("x")).transport
    )
    assert await down.open_incidents("t", "acme") is None
