"""A trace started where an event is raised continues in the consumer of that event."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from contracts import events
from contracts.envelope import Envelope
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.clock import SystemClock
from runtime.outbox import OutboxRelay
from runtime.settings import Settings
from runtime.store import Document, Repository
from runtime.telemetry import setup_tracing
from tests.integration.test_outbox import Thing
from tests.polling import until

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("recorded", [False, True], ids=["nothing-exported", "spans-recorded"])
async def test_the_consumer_span_joins_the_trace_the_event_was_raised_in(
    settings: Settings, mongo: AsyncMongoClient[Document], namespace: str, recorded: bool
) -> None:
    """Through the OpenTelemetry middleware when spans are recorded, else through the trace
    headers the bus sets itself."""
    provider = TracerProvider() if recorded else setup_tracing("itest")
    bus = Bus(settings, Topology(namespace), registry=CollectorRegistry(), tracer_provider=provider)
    consumed: list[tuple[int, str | None]] = []

    @bus.subscriber(events.TicketOpened)
    async def on_opened(envelope: Envelope[events.TicketOpened]) -> None:
        consumed.append(
            (trace.get_current_span().get_span_context().trace_id, envelope.traceparent)
        )

    await bus.start()
    db = mongo[f"{namespace}_trace"]
    relay = OutboxRelay(db, ["things"], bus.publish, SystemClock())
    relay.start()
    try:
        with provider.get_tracer("test").start_as_current_span("gateway request") as span:
            thing = Thing(id="t1", tenant_id="acme")
            thing.happen()
            await Repository(db, "things", Thing, relay, SystemClock()).add(thing)
            origin = span.get_span_context().trace_id

        async def seen() -> bool:
            return bool(consumed)

        await until(seen)
    finally:
        await relay.stop()
        await bus.stop()

    ((trace_id, traceparent),) = consumed
    assert trace_id == origin
    assert traceparent is not None
    assert format(origin, "032x") in traceparent


def test_with_nothing_exporting_spans_are_not_recorded_but_still_carry_a_trace_id() -> None:
    """Nobody pays for spans nobody collects; logs and envelopes still get trace ids."""
    provider = setup_tracing("itest")
    with provider.get_tracer("test").start_as_current_span("gateway request") as span:
        assert not span.is_recording()
        assert span.get_span_context().is_valid
