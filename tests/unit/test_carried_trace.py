"""With nothing exporting spans, trace ids still go from request to log to event, unbuilt."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from runtime.telemetry import UNREAD, CarriedTrace, carried, records_spans, trace_ids

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_only_a_provider_built_without_an_exporter_records_nothing() -> None:
    assert not records_spans(TracerProvider(sampler=UNREAD))
    assert records_spans(TracerProvider())


def test_a_carried_trace_is_a_new_unrecorded_span_of_the_named_one() -> None:
    span = trace.get_current_span(carried(PARENT, "vendor=1"))
    context = span.get_span_context()

    assert not span.is_recording()
    assert format(context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert format(context.span_id, "016x") != "b7ad6b7169203331"
    assert context.trace_state.get("vendor") == "1"
    assert context.trace_flags.sampled


def test_no_trace_or_a_malformed_one_starts_a_new_trace() -> None:
    """A header another publisher set to bytes, a number or a table must not fail the message."""
    named = [
        None,
        "",
        "garbage",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "x" * 100_000,
        PARENT.encode(),
        5,
        ["a"],
        {"a": 1},
    ]
    seen = set()
    for header in named:
        context = trace.get_current_span(carried(header, header)).get_span_context()
        assert context.is_valid
        seen.add(context.trace_id)
    assert len(seen) == len(named)


async def test_a_request_runs_in_the_trace_its_header_names_or_a_new_one() -> None:
    app = FastAPI()

    @app.get("/ids")
    async def ids() -> list[str]:
        found = trace_ids()
        assert found is not None
        return list(found)

    app.add_middleware(CarriedTrace)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        named = (await client.get("/ids", headers={"traceparent": PARENT})).json()
        fresh = [(await client.get("/ids")).json() for _ in range(2)]

    assert named[0] == "0af7651916cd43dd8448eb211c80319c"
    assert fresh[0][0] != fresh[1][0] != named[0]
    assert trace_ids() is None
