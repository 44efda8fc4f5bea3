"""A delay that clears (``delay_minutes: 0``, or a ``new_departure`` back at the booked time)
is told as the flight or train back on schedule, in the traveller's language, to those told
of the delay; a traveller never told of a delay is not bothered with it.

It used to be told to everyone as "delayed by 0 minutes", a revision like any other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, Traveller
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from services.routing.care.domain.changes import Snapshot, material_change, summary_of
from services.routing.care.domain.incidents import Disruption
from tests.factories import T0, envelope
from tests.unit.test_incidents import DAY, status
from tests.unit.test_proactive_tickets import Desk
from tests.unit.test_supplier_care import Care, body, run_disruption

BOOKED = "2026-11-26T07:30:00+08:00"


async def told(language: str, *reports: dict[str, Any], kind: str = "flight_delayed") -> list[str]:
    """The notices a traveller booked on CA1501 at 07:30 (+08:00) reads, one per revision,
    after the partner reported each of ``reports`` (its details) in turn."""
    desk = Care()
    booking = events.BookingUpserted(
        booking_id="bk-1",
        traveller=Traveller(id="trav-1", language=language),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(
                kind=kind.split("_")[0],
                reference="CA1501",
                starts_at=datetime.fromisoformat(BOOKED),
            )
        ],
        updated_at=T0,
    )
    await desk.care.booking_upserted(envelope(booking))
    for i, details in enumerate(reports):
        raw = body(event_id=f"ev-{i}", kind=kind, service_date=DAY.isoformat(), details=details)
        await run_disruption(desk, raw, at=i)
    intake = Desk()
    requests = sorted(desk.published("proactive.contact"), key=lambda r: r.payload.revision)
    for request in requests:
        await intake.desk.proactive_contact(envelope(request.payload))
    sent = {m.message_id: m for m in intake.outbox.messages}.values()
    notices = [
        Envelope[events.DisruptionNotice].model_validate_json(m.body).payload
        for m in sent
        if m.routing_key == "ticket.disruption_notice"
    ]
    rendered = []
    for notice in sorted(notices, key=lambda n: n.revision):
        [one] = notices_for(notice, "acme", Directory())
        text = Renderer().render(one)
        rendered.append(f"{text.subject}\n{text.body}")
    return rendered


@pytest.mark.parametrize(
    ("language", "back", "planned", "zero"),
    [
        ("en", "back on schedule", "departs as planned at 26 Nov 2026, 07:30 (UTC+08:00)", "by 0"),
        ("zh-Hans", "已恢复正常", "将按原计划于2026年11月26日 07:30（UTC+08:00）起飞", "约0分钟"),
        ("zh-Hant", "已恢復正常", "將按原定時間於2026年11月26日 07:30（UTC+08:00）起飛", "約0分鐘"),
        ("ja", "平常どおりの運航に戻りました", "2026年11月26日 07:30（UTC+08:00）に出発", "約0分"),
    ],
)
async def test_a_cleared_delay_is_told_as_back_on_schedule_in_the_travellers_language(
    language: str, back: str, planned: str, zero: str
) -> None:
    first, cleared = await told(
        language,
        {"delay_minutes": 45, "new_departure": "2026-11-26T08:15:00+08:00"},
        {"delay_minutes": 0},
    )

    assert back not in first
    assert back in cleared
    assert planned in cleared
    assert zero not in cleared
    assert "08:15" not in cleared  # the delay's time is gone with it


async def test_a_new_departure_at_the_booked_time_is_back_on_schedule() -> None:
    _, cleared = await told(
        "en",
        {"delay_minutes": 90, "new_departure": "2026-11-26T09:00:00+08:00"},
        {"new_departure": "2026-11-25T23:30:00Z"},  # 07:30 at the airport
    )

    assert cleared.startswith("Back on schedule: CA1501 on 26 Nov 2026")
    assert "departs as planned at 26 Nov 2026, 07:30 (UTC+08:00)" in cleared
    assert "delayed" not in cleared


async def test_a_train_back_on_schedule_is_a_train() -> None:
    delayed, cleared = {"delay_minutes": 120}, {"delay_minutes": 0}
    _, cleared_text = await told("en", delayed, cleared, kind="train_delayed")

    assert "Your train CA1501 on 26 Nov 2026 is back on schedule" in cleared_text


@pytest.mark.parametrize(
    "cleared",
    [{"delay_minutes": 0}, {"new_departure": BOOKED}, {"delay_minutes": "0", "gate": "C12"}],
)
async def test_nobody_told_of_a_delay_hears_of_its_clearing(cleared: dict[str, Any]) -> None:
    assert await told("en", cleared) == []


async def test_a_delay_after_a_cleared_first_report_is_told_as_news() -> None:
    [delayed] = await told("en", {"delay_minutes": 0}, {"delay_minutes": 30})

    assert "delayed by 30 minutes" in delayed


def test_back_on_schedule_is_material_however_small_the_delay_was() -> None:
    delayed = Snapshot(kind="flight_delayed", details={"delay_minutes": "20"})
    on_time = Snapshot(kind="flight_delayed", details={"delay_minutes": "0"})

    assert material_change(None, on_time) is None
    assert material_change(delayed, on_time) == "back on schedule"
    assert material_change(on_time, delayed) == "delayed again"
    assert material_change(on_time, on_time) is None


def test_a_first_report_of_no_delay_opens_no_incident() -> None:
    disruption = Disruption.blank(status("flight_delayed"), "flight_delayed")
    disruption.report(status("flight_delayed", delay_minutes="0"), "flight_delayed", T0)

    assert disruption.take_events() == []
    assert (disruption.revision, disruption.open_until_ms) == (0, 0)
    assert disruption.history[-1].endswith("on schedule, nobody told of a delay: nobody is told")


def test_the_agents_summary_says_back_on_schedule() -> None:
    summary = summary_of("flight_delayed", "CA1501", DAY, {"delay_minutes": "0"})

    assert summary == "flight delayed: CA1501 on 2026-11-26 (back on schedule)"


async def test_a_cancelled_flight_reinstated_on_time_is_told_back_on_schedule() -> None:
    """The documented way to reinstate a cancelled flight: a delay event after it (a kind
    change is material), here of 0 minutes; there is no reinstated kind (docs/suppliers.md)."""
    desk = Care()
    await desk.book("acme", 1)
    cancelled = body(event_id="ev-1", kind="flight_cancelled", details={})
    await run_disruption(desk, cancelled)
    reinstated = body(event_id="ev-2", kind="flight_delayed", details={"delay_minutes": 0})
    await run_disruption(desk, reinstated, at=1)

    first, second = sorted(desk.published("proactive.contact"), key=lambda r: r.payload.revision)
    assert (first.payload.kind, first.payload.on_schedule) == ("flight_cancelled", False)
    assert (second.payload.kind, second.payload.on_schedule) == ("flight_delayed", True)
