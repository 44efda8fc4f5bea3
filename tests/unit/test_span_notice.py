"""A guest told of a closure of several nights reads the span, in their language and as it
writes dates: routing hands the last night to intake (``proactive.contact``), intake to notify
(``ticket.disruption_notice``), and the notice names the first and last nights; a notice of
one night reads as before."""

from __future__ import annotations

import json
from datetime import date

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.languages import LANGUAGES
from contracts.local_time import local_span
from services.intake.subscribers import register_incidents
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from tests.factories import envelope
from tests.unit.test_disruption_notice_times import notice
from tests.unit.test_handlers import make_bus
from tests.unit.test_proactive_tickets import Desk, request
from tests.unit.test_supplier_care import Care, body, run_disruption
from tests.unit.test_supplier_span_stays import booking, stay

FIRST, LAST = date(2026, 11, 26), date(2026, 11, 28)


@pytest.mark.parametrize(
    ("language", "span"),
    [
        ("en", "the nights of 26 Nov 2026 to 28 Nov 2026"),
        ("ja", "2026年11月26日から2026年11月28日までの3泊"),
        ("zh-Hans", "2026年11月26日至2026年11月28日共3晚"),
        ("zh-Hant", "2026年11月26日至2026年11月28日共3晚"),
    ],
)
def test_a_span_is_written_as_the_language_writes_dates(language: str, span: str) -> None:
    assert local_span(FIRST, LAST, language) == span
    assert local_span(FIRST, None, language) == local_span(FIRST, FIRST, language)


def closed(language: str, last: date | None = LAST) -> events.DisruptionNotice:
    return notice(language).model_copy(
        update={
            "kind": "hotel_closed",
            "reference": "SHA-HILTON-01",
            "service_date": FIRST,
            "last_service_date": last,
        }
    )


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "Your hotel (SHA-HILTON-01) for the nights of 26 Nov 2026 to 28 Nov 2026 is closed"),
        ("ja", "2026年11月26日から2026年11月28日までの3泊 ご宿泊のホテル（SHA-HILTON-01）が休業"),
        ("zh-Hans", "您2026年11月26日至2026年11月28日共3晚入住的酒店（SHA-HILTON-01）暂停营业"),
        ("zh-Hant", "您2026年11月26日至2026年11月28日共3晚入住的飯店（SHA-HILTON-01）暫停營業"),
    ],
)
def test_the_notice_names_the_span_in_the_travellers_language(language: str, told: str) -> None:
    [one] = notices_for(closed(language), "acme", Directory())

    text = Renderer().render(one)

    assert told in text.body
    assert local_span(FIRST, LAST, language) in text.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_notice_of_one_night_reads_as_before(language: str) -> None:
    [one] = notices_for(closed(language, None), "acme", Directory())
    [before] = notices_for(
        closed(language).model_copy(update={"last_service_date": None}), "acme", Directory()
    )

    assert Renderer().render(one).body == Renderer().render(before).body
    assert "2026" in Renderer().render(one).subject


async def test_routing_asks_intake_to_tell_the_span() -> None:
    desk = Care()
    await desk.care.booking_upserted(envelope(booking("through", stay(-1, 4)), tenant="acme"))
    span = {"kind": "hotel_closed", "reference": "SHA-HILTON-01", "service_date": "2026-11-26"}

    await run_disruption(desk, body(**span, last_service_date="2026-11-28"))

    [told] = desk.published("proactive.contact")
    assert (told.payload.service_date, told.payload.last_service_date) == (FIRST, LAST)


async def test_intake_hands_the_span_to_notify() -> None:
    desk = Desk()
    bus = make_bus("intake")
    register_incidents(bus, desk.desk)
    asked = request().model_copy(update={"kind": "hotel_closed", "last_service_date": LAST})
    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(
            envelope(asked, message_id="m-1").model_dump_json().encode(),
            exchange=bus.events_exchange,
            routing_key="proactive.contact",
        )

    [sent] = [m for m in desk.outbox.messages if m.routing_key == "ticket.disruption_notice"]
    assert json.loads(sent.body)["payload"]["last_service_date"] == LAST.isoformat()
