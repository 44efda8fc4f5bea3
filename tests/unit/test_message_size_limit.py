"""A bus message whose body is over ``TRIPCARE_MAX_MESSAGE_BYTES`` is dead-lettered at once
as ``rejected`` without being parsed, with one line naming its size and the limit; the
largest messages the contracts allow stay under the default, so none is refused."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Attachment, BookingReference, Channel, ReferenceKind
from runtime.settings import Settings
from tests.factories import T0, TRAVELLER, envelope
from tests.unit.test_handlers import make_bus

DEFAULT = Settings().max_message_bytes


def largest_channel_message() -> bytes:
    """The largest ``channel.message`` the contract allows (a 1,000,000-character body), as
    a gateway encoding every character as ``\\uXXXX`` (Python's ``json.dumps``) sends it."""
    message = envelope(
        events.ChannelMessageReceived(channel=Channel.WECHAT, body="中" * 1_000_000, received_at=T0)
    )
    return json.dumps(message.model_dump(mode="json")).encode()


def largest_contact() -> bytes:
    """A ``contact.received`` at every bound: text, metadata, references and attachments."""
    contact = events.ContactReceived(
        channel=Channel.EMAIL,
        channel_message_id="m" * 256,
        traveller=TRAVELLER,
        text="旅" * 20_000,
        subject="件" * 500,
        conversation_key="c" * 256,
        references=[
            BookingReference(kind=ReferenceKind.ORDER, value=f"ORD{n:07d}") for n in range(20)
        ],
        attachments=[
            Attachment(
                name=f"{'名' * 250}{n}.pdf",
                content_type="application/pdf",
                size=25 * 1024 * 1024,
                url="https://files.example/" + "x" * 2_000,
            )
            for n in range(10)
        ],
        metadata={f"{'k' * 62}{n:02d}": "値" * 2_000 for n in range(20)},
        received_at=T0,
    )
    return json.dumps(envelope(contact).model_dump(mode="json")).encode()


def largest_booking() -> bytes:
    """A booking of 100 segments, the most a partner may send: the trips a disruption's
    fan-out reads."""
    segments = [
        events.BookingSegment(
            kind="flight",
            reference=f"CA{1500 + n}",
            starts_at=T0 + timedelta(days=n),
            ends_at=T0 + timedelta(days=n, hours=3),
        )
        for n in range(100)
    ]
    booking = events.BookingUpserted(
        booking_id="B" * 128,
        traveller=TRAVELLER,
        channel=Channel.EMAIL,
        segments=segments,
        updated_at=T0,
    )
    return json.dumps(envelope(booking).model_dump(mode="json")).encode()


def test_the_default_is_well_above_the_largest_messages_the_contracts_allow() -> None:
    """The default must never refuse a valid message: a refused one is ``rejected``, which
    the runbook says not to replay."""
    assert len(largest_channel_message()) < DEFAULT * 0.75
    assert len(largest_contact()) < DEFAULT / 20
    assert len(largest_booking()) < DEFAULT / 100


async def test_a_body_over_the_limit_is_rejected_unparsed_with_its_size_and_the_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 20 MB body used to be read as JSON and validated (seconds of the event loop and
    several times its size in memory) before anything refused it."""
    bus = make_bus("intake")
    handled: list[str] = []

    @bus.subscriber(events.ChannelMessageReceived)
    async def on_message(message: Envelope[events.ChannelMessageReceived]) -> None:
        handled.append(message.message_id)

    huge = b'{"payload": {"body": "' + b"x" * (20 * 1024 * 1024) + b'"}}'
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        async with TestRabbitBroker(bus.broker) as broker:
            await broker.publish(
                huge,
                exchange=bus.events_exchange,
                routing_key="channel.message",
                message_id="m-big",
            )

    assert time.monotonic() - started < 0.5, "neither parsed nor backed off"
    assert handled == []
    queue = bus.topology.queue("intake", events.ChannelMessageReceived)
    labels = {"queue": queue, "reason": "rejected"}
    registry = bus.dead_letters.registry
    assert registry.get_sample_value("messages_dead_lettered_total", labels) == 1
    about = [r for r in caplog.records if "m-big" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in about] == [
        (
            logging.ERROR,
            f"message m-big dead-lettered unread: its body is {len(huge):,} bytes, over the "
            f"limit of {DEFAULT:,} (TRIPCARE_MAX_MESSAGE_BYTES)",
        )
    ]
    assert not [r for r in caplog.records if "validation" in r.getMessage().lower()]


@pytest.mark.parametrize("body", [largest_channel_message, largest_contact])
async def test_the_largest_valid_messages_are_handled(body: Any) -> None:
    bus = make_bus("intake")
    handled: list[str] = []

    @bus.subscriber(events.ChannelMessageReceived)
    async def on_message(message: Envelope[events.ChannelMessageReceived]) -> None:
        handled.append(message.schema_name)

    @bus.subscriber(events.ContactReceived)
    async def on_contact(message: Envelope[events.ContactReceived]) -> None:
        handled.append(message.schema_name)

    encoded = body()
    key = json.loads(encoded)["schema_name"]
    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(encoded, exchange=bus.events_exchange, routing_key=key)

    assert handled == [key]


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPCARE_MAX_MESSAGE_BYTES", "2097152")
    assert Settings().max_message_bytes == 2 * 1024 * 1024
