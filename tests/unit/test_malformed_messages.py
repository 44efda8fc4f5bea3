"""A malformed message is dead-lettered at once (rejected, the DLQ replay's ``rejected``)
whether its body is not JSON or not the event's schema, and its log line names the fields
that are wrong without the payload (a traveller's words, e-mail, phone)."""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import orjson
import pytest
from faststream.exceptions import RejectMessage
from faststream.rabbit import TestRabbitBroker
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.envelope import Envelope
from contracts.topology import Topology
from runtime.bus import Bus
from runtime.consumer_policy import ConsumerPolicy, DeadLetters
from runtime.settings import Settings
from runtime.telemetry import setup_tracing
from tests.factories import T0, TRAVELLER, envelope


class Raw:
    exchange = "tripcare.events"
    routing_key = "ticket.opened"


class Message:
    message_id = "m-poison"
    body = b"{}"
    headers: ClassVar[dict[str, Any]] = {"x-delivery-count": 4}
    raw_message = Raw()


@pytest.mark.parametrize(
    "error",
    [
        orjson.JSONDecodeError("unexpected character", "not json {", 0),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    ],
    ids=["not-json", "not-utf8"],
)
async def test_a_body_that_is_not_json_is_rejected_at_once(error: Exception) -> None:
    """It used to be requeued with back-off until the delivery limit dead-lettered it as
    ``delivery_limit``, which the runbook reads as 'the handler kept failing: replay it'."""
    dead_letters = DeadLetters(CollectorRegistry(), 5, lambda key: key)
    policy = ConsumerPolicy(120, dead_letters)(Message(), context=None)

    async def decode(_: Any) -> None:
        raise error

    started = time.monotonic()
    with pytest.raises(RejectMessage):
        await policy.consume_scope(decode, Message())  # type: ignore[arg-type]
    assert time.monotonic() - started < 0.5, "no redelivery back-off"


async def test_a_time_out_of_the_calendars_range_is_rejected_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A deadline from a year-9999 contact overflows on every delivery alike: it went
    through the whole back-off and delivery limit before the dead-letter queue took it."""
    dead_letters = DeadLetters(CollectorRegistry(), 5, lambda key: key)
    policy = ConsumerPolicy(120, dead_letters)(Message(), context=None)

    async def deadline(_: Any) -> None:
        raise OverflowError("date value out of range")

    started = time.monotonic()
    with pytest.raises(RejectMessage):
        await policy.consume_scope(deadline, Message())  # type: ignore[arg-type]
    assert time.monotonic() - started < 0.5, "no redelivery back-off"
    assert "m-poison dead-lettered: a time out of range (date value out of range)" in caplog.text


async def test_the_log_names_the_wrong_fields_not_the_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus(
        Settings(service="itest"),
        Topology("malformed"),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing("itest"),
    )

    @bus.subscriber(events.TicketOpened)
    async def on_opened(message: Envelope[events.TicketOpened]) -> None:
        raise AssertionError("a malformed message reaches no handler")

    body = orjson.loads(
        envelope(
            events.TicketOpened(
                ticket_id="TC-1",
                channel=events.Channel.EMAIL,
                traveller=TRAVELLER,
                text="passport E12345678, call me at +86 138 0013 8000, my secret plans",
                opened_at=T0,
            )
        ).model_dump_json()
    )
    del body["payload"]["ticket_id"]  # one field missing: pydantic's message held the payload
    with caplog.at_level(logging.ERROR, logger="runtime.bus"):
        async with TestRabbitBroker(bus.broker) as broker:
            await broker.publish(
                orjson.dumps(body), exchange=bus.events_exchange, routing_key="ticket.opened"
            )

    [line] = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert "message.payload.ticket_id: Field required" in line
    assert "secret plans" not in line
    assert "input_value" not in line
