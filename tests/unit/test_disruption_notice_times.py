"""The disruption notice shows times as the traveller's ticket does: in the place's own
offset, in their language, and with the terminal and diversion airport the partner sent.

It used to show the partner's raw ISO string (or a UTC time) and leave the terminal and
the diversion airport out.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, NextStep, Traveller
from services.notify.domain.local_time import partner_time
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from tests.factories import T0, envelope
from tests.unit.test_proactive_tickets import Desk
from tests.unit.test_supplier_care import Care, body, run_disruption


def notice(language: str, offset: int | None = 480, **details: str) -> events.DisruptionNotice:
    return events.DisruptionNotice(
        ticket_id="TC-1",
        incident_id="INC-1",
        revision=1,
        channel=Channel.IN_APP,
        traveller=Traveller(id="trav-1", language=language),
        kind="flight_diverted",
        reference="CA1501",
        service_date=date(2026, 11, 26),
        departs_at=datetime.fromisoformat("2026-11-25T23:30:00+00:00"),
        departs_utc_offset_min=offset,
        next_step=NextStep.REBOOKING,
        details=details,
        tracking_url="http://t/TC-1",
        sent_at=T0,
    )


def rendered(event: events.DisruptionNotice) -> str:
    [one] = notices_for(event, "acme", Directory())
    return Renderer().render(one).body


@pytest.mark.parametrize(
    ("language", "departure", "terminal", "diverted"),
    [
        ("en", "26 Nov 2026, 14:30 (UTC+08:00)", "Terminal: T3", "Diverted to: TSN"),
        ("ja", "2026年11月26日 14:30（UTC+08:00）", "ターミナル：T3", "着陸空港：TSN"),
        ("zh-Hans", "2026年11月26日 14:30（UTC+08:00）", "航站楼：T3", "备降机场：TSN"),
        ("zh-Hant", "2026年11月26日 14:30（UTC+08:00）", "航廈：T3", "轉降機場：TSN"),
    ],
)
def test_the_new_departure_is_in_its_own_offset_with_terminal_and_diversion(
    language: str, departure: str, terminal: str, diverted: str
) -> None:
    text = rendered(
        notice(
            language,
            new_departure="2026-11-26T14:30:00+08:00",
            terminal="T3",
            diverted_to="TSN",
        )
    )

    assert departure in text
    assert terminal in text
    assert diverted in text
    assert "2026-11-26T14:30" not in text
    assert "06:30" not in text  # not the same moment in UTC


def test_a_departure_sent_without_an_offset_is_shown_in_the_segments_local_time() -> None:
    local = partner_time("2026-11-26T06:30:00", "en", local_offset_min=480)
    unknown = partner_time("2026-11-26T06:30:00", "en", local_offset_min=None)
    behind = partner_time("2026-11-26T14:30:00-05:30", "en")

    assert (local, unknown) == ("26 Nov 2026, 14:30 (UTC+08:00)", "26 Nov 2026, 06:30 (UTC)")
    assert behind == "26 Nov 2026, 14:30 (UTC-05:30)"
    assert partner_time("soon", "en") == "soon"  # not a time: as the partner wrote it


def test_absent_details_leave_no_empty_lines() -> None:
    text = rendered(notice("en"))

    for label in ("Terminal", "Diverted to", "New departure"):
        assert label not in text


async def test_the_segments_local_offset_reaches_the_proactive_contact() -> None:
    desk = Care()
    booking = events.BookingUpserted(
        booking_id="bk-1",
        traveller=Traveller(id="trav-1", language="en"),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(
                kind="flight",
                reference="CA1501",
                starts_at=datetime.fromisoformat("2026-11-26T07:30:00+08:00"),
            )
        ],
        updated_at=T0,
    )
    await desk.care.booking_upserted(envelope(booking))
    await run_disruption(desk, body(kind="flight_delayed", service_date="2026-11-26"))

    [contact] = desk.published("proactive.contact")
    assert contact.payload.departs_utc_offset_min == 480
    assert contact.payload.departs_at == datetime.fromisoformat("2026-11-25T23:30:00+00:00")
    intake = Desk()
    await intake.desk.proactive_contact(envelope(contact.payload))
    [told] = [m for m in intake.outbox.messages if m.routing_key == "ticket.disruption_notice"]
    sent = Envelope[events.DisruptionNotice].model_validate_json(told.body).payload
    assert sent.departs_utc_offset_min == 480


@pytest.mark.parametrize(
    ("delay", "expected"), [("1", "delayed by 1 minute."), ("45", "delayed by 45 minutes.")]
)
def test_a_delay_of_one_minute_reads_in_the_singular(delay: str, expected: str) -> None:
    """ "is delayed by 1 minutes" in English; the other languages count with 分/分钟."""
    delayed = notice("en", delay_minutes=delay).model_copy(update={"kind": "flight_delayed"})
    train = delayed.model_copy(update={"kind": "train_delayed"})

    assert expected in rendered(delayed)
    assert expected in rendered(train)


@pytest.mark.parametrize(
    ("sent", "offset", "shown"),
    [
        ("0001-01-01T00:00:00", -300, "1 Jan 1, 00:00 (UTC)"),  # .NET's DateTime.MinValue
        ("9999-12-31T23:30:00", 480, "31 Dec 9999, 23:30 (UTC)"),
    ],
)
def test_a_departure_at_the_edge_of_the_calendar_is_shown_not_a_crash(
    sent: str, offset: int, shown: str
) -> None:
    """A partner's "no time" sentinel, moved into the segment's offset, fell off the
    calendar: notify raised OverflowError on every delivery and the traveller never heard."""
    assert partner_time(sent, "en", local_offset_min=offset) == shown
    assert f"New departure: {shown}" in rendered(notice("en", offset=offset, new_departure=sent))
