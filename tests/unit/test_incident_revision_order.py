"""Revisions of a disruption arrive in any order (the bus keeps none, and redelivers): every
place that applies one ignores a revision older than what it holds. An older revision
delivered after a newer one used to overwrite the tenant's incident view (routing's
incidents API) with the stale kind and summary, tell a guest only on the nights a newer span
had dropped, and have notify tell a traveller the older state after the newer one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson

from contracts import events
from contracts.events import Channel, NextStep, Traveller
from runtime.clock import FakeClock
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from services.notify.subscribers import disruption_notice
from services.routing.care.domain.incidents import TenantIncident
from services.routing.care.store import INCIDENTS
from tests.factories import T0, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import repository
from tests.unit.test_proactive_tickets import Desk, request
from tests.unit.test_supplier_care import DAY, Care, signed

NIGHT = date(2026, 11, 26)


def revised(
    revision: int,
    kind: str = "flight_cancelled",
    minutes: int = 0,
    material: bool = True,
    **details: str,
) -> events.DisruptionRevised:
    return events.DisruptionRevised(
        incident_id="INC-1",
        partner="ca",
        kind=kind,
        resource="flight",
        reference="CA1501",
        service_date=DAY,
        revision=revision,
        material=material,
        next_step=NextStep.REBOOKING,
        details=details,
        summary=f"{kind.replace('_', ' ')}: CA1501 on 2026-11-26",
        reported_at=T0 + timedelta(minutes=minutes),
    )


# ---------------------------------------------------------------- routing: the incident view


def test_an_older_revision_after_a_newer_one_leaves_the_incident_view_as_it_is() -> None:
    newer = revised(2, "flight_cancelled", minutes=10)
    view = TenantIncident.open("acme", newer, 0, T0)
    view.revise(newer, 3, T0)
    view.take_events()

    view.revise(revised(1, "flight_delayed", delay_minutes="45"), 3, T0 + timedelta(minutes=20))

    assert (view.kind, view.revision, view.details) == ("flight_cancelled", 2, {})
    assert view.summary == "flight cancelled: CA1501 on 2026-11-26"
    assert view.take_events() == [], "nothing to announce for a stale revision"


def test_within_one_revision_the_later_update_wins_whatever_order_they_arrive_in() -> None:
    material = revised(2, "flight_delayed", minutes=10, delay_minutes="120")
    update = revised(2, "flight_delayed", minutes=15, material=False, delay_minutes="130")
    view = TenantIncident.open("acme", update, 0, T0)
    view.revise(update, 2, T0)

    view.revise(material, 2, T0 + timedelta(minutes=1))

    assert view.details == {"delay_minutes": "130"}


def test_a_view_opened_by_a_clustered_contact_knows_its_revision() -> None:
    """Clustering opens the view from the disruption as it stands (``as_revised``): the
    revision still on the bus behind it is older and must not overwrite it."""
    view = TenantIncident.open("acme", revised(2, "flight_cancelled", minutes=10), 0, T0)
    view.revise(revised(1, "flight_delayed", delay_minutes="45"), 1, T0)
    assert (view.kind, view.revision) == ("flight_cancelled", 2)


def test_the_same_revision_again_and_a_newer_one_still_apply() -> None:
    view = TenantIncident.open("acme", revised(1, "flight_delayed", delay_minutes="45"), 0, T0)
    view.revise(revised(1, "flight_delayed", delay_minutes="45"), 2, T0)
    view.revise(revised(2, "flight_cancelled", minutes=5), 4, T0)
    assert (view.kind, view.revision, view.affected) == ("flight_cancelled", 2, 4)


# ---------------------------------------------------------------- routing: the fan-out


def hotel_body(event_id: str, last: str) -> bytes:
    return orjson.dumps(
        {
            "event_id": event_id,
            "kind": "hotel_closure",
            "reference": "SHA-HILTON-01",
            "service_date": NIGHT.isoformat(),
            "last_service_date": last,
        }
    )


async def book_night(desk: Care, booking_id: str, night: date) -> None:
    start = T0.replace(year=night.year, month=night.month, day=night.day, hour=12)
    booking = events.BookingUpserted(
        booking_id=booking_id,
        traveller=Traveller(id=f"trav-{booking_id}", language="en"),
        channel=Channel.IN_APP,
        segments=[
            events.BookingSegment(
                kind="hotel",
                reference="SHA-HILTON-01",
                starts_at=start,
                ends_at=start + timedelta(days=1),
            )
        ],
        updated_at=T0,
    )
    await desk.care.booking_upserted(envelope(booking, tenant="acme"))


async def test_an_older_revision_delivered_late_tells_nobody_and_leaves_the_view() -> None:
    """Closed 26th–28th, then reopened a night early (26th–27th): the first revision,
    redelivered after the second, used to reach the guest of the 28th (never told the
    second: their night is open again) with "your hotel is closed", and put the three-night
    span back on the incident."""
    desk = Care()
    await book_night(desk, "bk-26", NIGHT)
    await book_night(desk, "bk-28", NIGHT + timedelta(days=2))
    for at, raw in ((0, hotel_body("ev-1", "2026-11-28")), (60, hotel_body("ev-2", "2026-11-27"))):
        desk.clock.advance(timedelta(seconds=at))
        await desk.care.receive_signed("ca", raw, signed(raw, at=int(T0.timestamp()) + at))
    for status in sorted(desk.published("supplier.status"), key=lambda s: s.payload.event_id):
        await desk.care.supplier_status(status)
    first, second = sorted(desk.published("disruption.revised"), key=lambda r: r.payload.revision)
    await desk.care.disruption_revised(second)
    await desk.care.disruption_revised(first)  # late: the bus keeps no order

    told = [(r.payload.booking_id, r.payload.revision) for r in desk.published("proactive.contact")]
    assert told == [("bk-26", 2)]
    [view] = desk.db[INCIDENTS].docs.values()
    assert (view["revision"], view["last_service_date"]) == (2, "2026-11-27")


# ---------------------------------------------------------------- intake: the proactive ticket


async def test_an_older_proactive_request_after_a_newer_one_tells_nothing() -> None:
    desk = Desk()
    await desk.desk.proactive_contact(envelope(request(2), message_id="m-2"))
    await desk.desk.proactive_contact(envelope(request(1), message_id="m-1"))
    notices = [m for m in desk.outbox.messages if m.routing_key == "ticket.disruption_notice"]
    assert len({m.message_id for m in notices}) == 1
    [doc] = desk.db["tickets"].docs.values()
    assert doc["incident_revision"] == 2


# ---------------------------------------------------------------- notify: the notice


def notice(revision: int, kind: str) -> events.DisruptionNotice:
    return events.DisruptionNotice(
        ticket_id="TC-7",
        incident_id="INC-1",
        revision=revision,
        channel=Channel.IN_APP,
        traveller=Traveller(id="trav-7", language="en"),
        kind=kind,
        reference="CA1501",
        service_date=DAY,
        departs_at=T0 + timedelta(hours=30),
        next_step=NextStep.REBOOKING,
        tracking_url="https://care.example/t/x",
        sent_at=T0,
    )


def notifier() -> Notifier:
    return Notifier(repository(Delivery, RecordingOutbox()), Renderer(), FakeClock(T0))


async def inbox(notify: Notifier) -> list[dict[str, Any]]:
    return [doc async for doc in notify.deliveries.collection.find({"ticket_id": "TC-7"})]


async def test_notify_never_tells_an_older_revision_after_a_newer_one() -> None:
    notify = notifier()
    await disruption_notice(envelope(notice(2, "flight_cancelled"), message_id="n-2"), notify)
    await disruption_notice(envelope(notice(1, "flight_delayed"), message_id="n-1"), notify)
    assert [d["source_message_id"] for d in await inbox(notify)] == ["n-2"]


async def test_notify_tells_each_newer_revision_and_a_redelivery_once() -> None:
    notify = notifier()
    for message_id, revision in (("n-1", 1), ("n-1", 1), ("n-2", 2)):
        kind = "flight_delayed" if revision == 1 else "flight_cancelled"
        await disruption_notice(envelope(notice(revision, kind), message_id=message_id), notify)
    assert len(await inbox(notify)) == 2
