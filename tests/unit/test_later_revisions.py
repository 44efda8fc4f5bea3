"""Each notice of a disruption says what its latest event says, against the booking as it
is now: a later revision (a bigger delay, a cancellation, the delay clearing) neither keeps
the first event's details nor the booking's times as they were when the traveller was
first told.

The affected traveller kept the segment's departure and offset from the first revision, so
after the booking system moved the segment (a schedule change synced from the airline), a
later notice showed the first booking's time ("departs as planned at 07:30" for a flight
now booked at 09:00), read the new schedule against it, and set the ticket's urgency by it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, Priority, Traveller
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from services.routing.care.domain.incidents import AffectedTraveller
from services.routing.care.domain.trips import TripSegment
from tests.factories import T0, envelope
from tests.unit.test_incidents import DAY, revised
from tests.unit.test_proactive_tickets import Desk
from tests.unit.test_supplier_care import Care, body, run_disruption


def booking(starts_at: str, minute: int) -> events.BookingUpserted:
    return events.BookingUpserted(
        booking_id="bk-1",
        traveller=Traveller(id="trav-1", language="en"),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(
                kind="flight", reference="CA1501", starts_at=datetime.fromisoformat(starts_at)
            )
        ],
        updated_at=T0 + timedelta(minutes=minute),
    )


class Trip:
    """One traveller on CA1501, the partner's events and the notices they read."""

    def __init__(self) -> None:
        self.desk = Care()
        self.reports = 0

    async def book(self, starts_at: str, minute: int = 0) -> None:
        await self.desk.care.booking_upserted(envelope(booking(starts_at, minute)))

    async def report(self, kind: str, **details: Any) -> None:
        self.reports += 1
        raw = body(
            event_id=f"ev-{self.reports}", kind=kind, service_date=DAY.isoformat(), details=details
        )
        await run_disruption(self.desk, raw, at=self.reports)

    def requests(self) -> list[events.ProactiveContactRequested]:
        found = [r.payload for r in self.desk.published("proactive.contact")]
        return sorted(found, key=lambda r: r.revision)

    async def notices(self) -> list[str]:
        intake = Desk()
        for request in self.requests():
            await intake.desk.proactive_contact(envelope(request))
        sent = {m.message_id: m for m in intake.outbox.messages}.values()
        told = sorted(
            (
                Envelope[events.DisruptionNotice].model_validate_json(m.body).payload
                for m in sent
                if m.routing_key == "ticket.disruption_notice"
            ),
            key=lambda n: n.revision,
        )
        texts = []
        for notice in told:
            [one] = notices_for(notice, "acme", Directory())
            texts.append(Renderer().render(one).body.split("\nWhat happens next")[0])
        return texts


async def test_a_bigger_delay_then_a_cancellation_each_say_only_what_they_say() -> None:
    trip = Trip()
    await trip.book("2026-11-26T07:30:00+08:00")
    await trip.report(
        "flight_delayed", delay_minutes=60, new_departure="2026-11-26T08:30:00+08:00", gate="C12"
    )
    await trip.report(
        "flight_delayed", delay_minutes=180, new_departure="2026-11-26T10:30:00+08:00"
    )
    await trip.report("flight_cancelled", reason="crew")

    first, bigger, cancelled = await trip.notices()

    assert "delayed by 60 minutes. New departure: 26 Nov 2026, 08:30 (UTC+08:00)" in first
    assert "delayed by 180 minutes. New departure: 26 Nov 2026, 10:30 (UTC+08:00)" in bigger
    assert "08:30" not in bigger
    assert "C12" not in bigger
    assert cancelled == "Your flight CA1501 on 26 Nov 2026 has been cancelled."


async def test_a_later_notice_reads_the_booking_as_it_is_now() -> None:
    trip = Trip()
    await trip.book("2026-11-26T07:30:00+08:00")
    await trip.report("flight_delayed", delay_minutes=90)
    await trip.book("2026-11-26T09:00:00+09:00", minute=5)  # the booking system's sync
    await trip.report("flight_delayed", delay_minutes=0)

    _, cleared = await trip.notices()

    assert "departs as planned at 26 Nov 2026, 09:00 (UTC+09:00)" in cleared
    assert "07:30" not in cleared
    latest = trip.requests()[-1]
    assert latest.departs_at == datetime.fromisoformat("2026-11-26T09:00:00+09:00")
    assert latest.departs_utc_offset_min == 540


async def test_a_new_departure_is_read_against_the_booking_as_it_is_now() -> None:
    trip = Trip()
    await trip.book("2026-11-26T07:30:00+08:00")
    await trip.report("flight_delayed", new_departure="2026-11-26T10:00:00+08:00")
    await trip.book("2026-11-26T09:00:00+08:00", minute=5)
    await trip.report("flight_delayed", new_departure="2026-11-26T09:00:00+08:00")

    _, cleared = await trip.notices()

    assert "back on schedule: it departs as planned at 26 Nov 2026, 09:00 (UTC+08:00)" in cleared


def test_the_urgency_of_a_later_revision_follows_the_booking_as_it_is_now() -> None:
    affected = AffectedTraveller(
        id="AFF-1",
        tenant_id="acme",
        incident_id="INC-1",
        booking_id="bk-1",
        traveller=Traveller(id="trav-1"),
        channel=Channel.IN_APP,
        reference="CA1501",
        departs_at=T0 + timedelta(hours=30),
    )
    affected.tell(revised(1), T0)
    moved = TripSegment(resource="flight", reference="CA1501", starts_at=T0 + timedelta(hours=2))
    affected.tell(revised(2), T0, moved)

    requests = [
        e for e in affected.take_events() if isinstance(e, events.ProactiveContactRequested)
    ]
    assert [r.priority for r in requests] == [Priority.HIGH, Priority.CRITICAL]
    assert requests[-1].departs_at == T0 + timedelta(hours=2)
