"""FastStream's line for a handler that failed is one JSON object with its traceback, on the
real broker (FastStream's test broker mocks its logger). It was coloured text on stdout
(FastStream's own handler), which a JSON log shipper could not read."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pymongo.errors import AutoReconnect

from contracts import events
from contracts.envelope import Envelope
from contracts.topology import Topology
from runtime.aggregate import OutboxMessage
from runtime.bus import Bus
from runtime.logging import ROUTED, setup_logging
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from tests.factories import T0, TRAVELLER, envelope

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    routed = {name: logging.getLogger(name) for name in ROUTED}
    states = {name: (lg.handlers[:], lg.propagate) for name, lg in routed.items()}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, (kept, propagate) in states.items():
            routed[name].handlers[:] = kept
            routed[name].propagate = propagate
        logging.captureWarnings(False)


async def test_a_failed_handlers_line_is_json_with_its_traceback_and_message(
    amqp_url: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("itest")
    settings = Settings(service="itest", amqp_url=amqp_url, namespace=namespace)
    bus = Bus(
        settings,
        Topology(namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    failed = asyncio.Event()

    @bus.subscriber(events.TicketOpened)
    async def on_opened(message: Envelope[events.TicketOpened]) -> None:
        failed.set()
        raise RuntimeError("the handler failed")

    opened = envelope(
        events.TicketOpened(
            ticket_id="TC-1",
            channel=events.Channel.EMAIL,
            traveller=TRAVELLER,
            text="x",
            opened_at=T0,
        ),
        message_id="m-fails",
    )
    await bus.start()
    try:
        await bus.publish(
            OutboxMessage(
                message_id="m-fails",
                correlation_id="TC-1",
                routing_key=events.TicketOpened.schema_name,
                body=opened.model_dump_json(),
            )
        )
        await asyncio.wait_for(failed.wait(), 10)
        await asyncio.sleep(0.5)  # the consumer policy's back-off, then FastStream's line
    finally:
        await bus.stop()

    out, err = capsys.readouterr()
    lines: list[dict[str, Any]] = []
    for line in (out + err).splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    errors = [line for line in lines if line["msg"] == "RuntimeError: the handler failed"]
    assert errors, lines
    assert errors[0]["level"] == "ERROR"
    assert errors[0]["message_id"] == "m-fails"
    assert errors[0]["queue"] == bus.topology.queue("itest", events.TicketOpened)
    assert "Traceback" in errors[0]["exc"]


async def test_a_consumers_own_warning_names_its_message_ticket_and_trace(
    amqp_url: str, namespace: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The consumer policy's lines ("store unreachable, holding message …", "failed again
    on delivery …") carried neither the ticket the message is about nor its message id as
    fields: an operator filtering a ticket's lines by ``ticket_id`` saw nothing of them."""
    setup_logging("itest")
    settings = Settings(service="itest", amqp_url=amqp_url, namespace=namespace)
    bus = Bus(
        settings,
        Topology(namespace),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )
    handled = asyncio.Event()
    calls = []

    @bus.subscriber(events.TicketOpened)
    async def on_opened(message: Envelope[events.TicketOpened]) -> None:
        calls.append(message.message_id)
        if len(calls) == 1:
            raise AutoReconnect("store went away")
        handled.set()

    ticket = "TC-ABCDEFGHIJKL"
    opened = envelope(
        events.TicketOpened(
            ticket_id=ticket,
            channel=events.Channel.EMAIL,
            traveller=TRAVELLER,
            text="x",
            opened_at=T0,
        ),
        message_id="m-held",
    )
    await bus.start()
    try:
        await bus.publish(
            OutboxMessage(
                message_id="m-held",
                correlation_id=ticket,
                routing_key=events.TicketOpened.schema_name,
                body=opened.model_dump_json(),
            )
        )
        await asyncio.wait_for(handled.wait(), 10)
    finally:
        await bus.stop()

    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in (out + err).splitlines()]
    (held,) = [line for line in lines if line["msg"].startswith("store unreachable, holding")]
    assert held["level"] == "WARNING"
    assert held["service"] == "itest"
    assert held["message_id"] == "m-held"
    assert held["ticket_id"] == ticket
    assert held["trace_id"]
