"""Proactive care's pure rules: trips, kinds, material change, correlation keys, urgency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts import events
from contracts.events import Channel, NextStep, Priority, Traveller
from services.routing.care.domain.changes import Snapshot, material_change
from services.routing.care.domain.clustering import Candidate, choose_incident
from services.routing.care.domain.incidents import (
    AffectedTraveller,
    Disruption,
    TenantIncident,
    incident_id_for,
    proactive_priority,
)
from services.routing.care.domain.suppliers import normalise_kind
from services.routing.care.domain.trips import MAX_NIGHTS, Trip, next_departure, segment_key
from services.routing.domain.case import RoutingCase
from services.routing.domain.priority import adjust_priority
from tests.factories import T0

DAY = date(2026, 11, 26)
LI = Traveller(id="trav-1", name="Li Lei", language="zh-Hans")


def booking(*segments: events.BookingSegment, at: int = 0) -> events.BookingUpserted:
    return events.BookingUpserted(
        booking_id="bk-1",
        traveller=LI,
        channel=Channel.IN_APP,
        segments=list(segments),
        updated_at=T0 + timedelta(minutes=at),
    )


def flight(reference: str = "CA1501", hours: float = 30) -> events.BookingSegment:
    return events.BookingSegment(
        kind="flight", reference=reference, starts_at=T0 + timedelta(hours=hours)
    )


def status(kind: str = "flight_cancelled", **details: str) -> events.SupplierStatusChanged:
    return events.SupplierStatusChanged(
        partner="ca",
        kind=kind,
        reference="CA1501",
        service_date=DAY,
        details=details,
        reported_at=T0,
    )


# ---------------------------------------------------------------- trips read model


def test_a_trip_indexes_flights_by_date_and_hotel_stays_by_night() -> None:
    trip = Trip.blank("acme", booking())
    hotel = events.BookingSegment(
        kind="hotel",
        reference="SH-PUDONG-01",
        starts_at=T0 + timedelta(days=1),
        ends_at=T0 + timedelta(days=3),
    )
    trip.upsert(booking(flight("ca 1501"), hotel))
    assert trip.keys == sorted(
        [
            "flight:CA1501:2026-11-26",
            "hotel:SH-PUDONG-01:2026-11-26",
            "hotel:SH-PUDONG-01:2026-11-27",
        ]
    )
    assert [s.reference for s in trip.affected("hotel", "sh-pudong-01", date(2026, 11, 27))] == [
        "SH-PUDONG-01"
    ]
    assert trip.affected("hotel", "SH-PUDONG-01", date(2026, 11, 28)) == []


def test_a_hotel_stay_is_indexed_for_its_first_60_nights_only() -> None:
    """The cap docs/suppliers.md states: an event about a later night finds no one."""
    trip = Trip.blank("acme", booking())
    first = T0 + timedelta(days=1)
    stay = events.BookingSegment(
        kind="hotel",
        reference="SERVICED-APT-7",
        starts_at=first,
        ends_at=first + timedelta(days=90),
    )
    trip.upsert(booking(stay))
    night_one = trip.keys[0]

    assert len(trip.keys) == MAX_NIGHTS == 60
    last, after = (date.fromisoformat(night_one[-10:]) + timedelta(days=n) for n in (59, 60))
    assert trip.affected("hotel", "SERVICED-APT-7", last)
    assert trip.affected("hotel", "SERVICED-APT-7", after) == []


def test_a_late_older_booking_update_and_a_cancellation_are_respected() -> None:
    trip = Trip.blank("acme", booking())
    trip.upsert(booking(flight("CA1501"), at=10))
    trip.upsert(booking(flight("MU5101"), at=5))  # older, arrived late
    assert trip.keys == ["flight:CA1501:2026-11-26"]
    trip.cancel(events.BookingCancelled(booking_id="bk-1", cancelled_at=T0 + timedelta(hours=1)))
    assert trip.affected("flight", "CA1501", DAY) == []


def test_a_cancellation_that_overtakes_its_booking_wins() -> None:
    trip = Trip.cancelled_first("acme", "bk-1")
    trip.cancel(events.BookingCancelled(booking_id="bk-1", cancelled_at=T0 + timedelta(hours=1)))
    trip.upsert(booking(flight(), at=10))
    assert trip.status == "cancelled"


def test_next_departure_over_all_bookings() -> None:
    early, late = Trip.blank("acme", booking()), Trip.blank("acme", booking())
    early.upsert(booking(flight(hours=3)))
    late.upsert(booking(flight(hours=50)))
    assert next_departure([late, early], T0) == T0 + timedelta(hours=3)
    assert next_departure([late, early], T0 + timedelta(hours=4)) == T0 + timedelta(hours=50)


# ---------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("FLIGHT_CANCELED", "flight_cancelled"),
        ("flight-delayed", "flight_delayed"),
        ("gate change", "flight_schedule_change"),
        ("diverted", "flight_diverted"),
        ("hotel_overbooked", "hotel_overbooked"),
        ("hotel closed", "hotel_closed"),
        ("reservation_not_found", "hotel_reservation_not_found"),
        ("train.cancelled", "train_cancelled"),
        ("train_delay", "train_delayed"),
        ("car no-show", "car_no_show"),
        ("volcanic_ash_advisory", None),
    ],
)
def test_kinds_are_normalised_or_reported_unknown(raw: str, kind: str | None) -> None:
    assert normalise_kind(raw) == kind


# ---------------------------------------------------------------- storms and material change


def test_material_change_rules() -> None:
    delayed = Snapshot(kind="flight_delayed", details={"delay_minutes": "60"})
    assert material_change(None, delayed) == "first report"
    assert material_change(delayed, Snapshot(kind="flight_cancelled")) is not None
    assert (
        material_change(delayed, delayed.model_copy(update={"details": {"delay_minutes": "90"}}))
        is None
    )
    assert (
        material_change(delayed, delayed.model_copy(update={"details": {"delay_minutes": "120"}}))
        is not None
    )
    gate = Snapshot(kind="flight_schedule_change", details={"gate": "A1"})
    assert material_change(gate, Snapshot(kind="flight_schedule_change", details={"gate": "B7"}))


@pytest.mark.parametrize(
    ("before", "after", "news"),
    [
        ("2026-11-26T13:30:00", "2026-11-26T15:30:00Z", True),
        ("2026-11-26T13:30:00Z", "2026-11-26T13:45:00", False),
        ("2026-11-26T21:30:00+08:00", "2026-11-26T13:30:00", False),
    ],
)
def test_a_new_departure_without_an_offset_reads_as_utc(
    before: str, after: str, news: bool
) -> None:
    """It used to raise comparing with one that had an offset: the report was never taken."""
    told = Snapshot(kind="flight_delayed", details={"new_departure": before})
    now = Snapshot(kind="flight_delayed", details={"new_departure": after})
    assert (material_change(told, now) is not None) is news


def test_a_delay_growing_from_1_to_4_hours_notifies_once_per_material_change() -> None:
    disruption = Disruption.blank(status("flight_delayed"), "flight_delayed")
    told = []
    for minutes in (60, 75, 90, 120, 150, 180, 200, 240, 240):
        disruption.report(
            status("flight_delayed", delay_minutes=str(minutes)), "flight_delayed", T0
        )
        told += [e for e in disruption.take_events() if isinstance(e, events.DisruptionRevised)]
    material = [e.details["delay_minutes"] for e in told if e.material]
    assert material == ["60", "120", "180", "240"]
    assert disruption.revision == 4
    assert disruption.reports == 9


def test_the_same_event_id_again_changes_nothing() -> None:
    disruption = Disruption.blank(status(), "flight_cancelled")
    first = status().model_copy(update={"event_id": "ev-1"})
    for _ in range(3):
        disruption.report(first, "flight_cancelled", T0)
    assert len(disruption.take_events()) == 1
    assert (disruption.revision, disruption.reports) == (1, 3)


def test_one_incident_id_per_disruption_whoever_reports_it() -> None:
    assert incident_id_for("flight", "CA1501", DAY) == incident_id_for("flight", "ca1501", DAY)
    assert incident_id_for("flight", "CA1501", DAY) != incident_id_for(
        "flight", "CA1501", DAY + timedelta(days=1)
    )
    assert Disruption.blank(status(), "flight_cancelled").id == incident_id_for(
        "flight", "CA1501", DAY
    )


# ---------------------------------------------------------------- travellers and urgency


def test_departure_within_6_hours_makes_the_proactive_ticket_critical() -> None:
    assert proactive_priority(T0 + timedelta(hours=5, minutes=59), T0) is Priority.CRITICAL
    assert proactive_priority(T0 - timedelta(minutes=30), T0) is Priority.CRITICAL
    assert proactive_priority(T0 + timedelta(hours=7), T0) is Priority.HIGH


def revised(revision: int, material: bool = True) -> events.DisruptionRevised:
    return events.DisruptionRevised(
        incident_id="INC-1",
        partner="ca",
        kind="flight_cancelled",
        resource="flight",
        reference="CA1501",
        service_date=DAY,
        revision=revision,
        material=material,
        next_step=NextStep.REBOOKING,
        summary="flight cancelled: CA1501 on 2026-11-26",
        reported_at=T0,
    )


def test_an_affected_traveller_is_told_once_per_revision() -> None:
    affected = AffectedTraveller(
        id="AFF-1",
        tenant_id="acme",
        incident_id="INC-1",
        booking_id="bk-1",
        traveller=LI,
        channel=Channel.IN_APP,
        reference="CA1501",
        departs_at=T0 + timedelta(hours=3),
    )
    for change in (revised(1), revised(1), revised(1, material=False), revised(2)):
        affected.tell(change, T0)
    requests = affected.take_events()
    assert [r.revision for r in requests if isinstance(r, events.ProactiveContactRequested)] == [
        1,
        2,
    ]
    assert affected.priority is Priority.CRITICAL


def test_a_contact_is_clustered_into_the_travellers_own_disruption_first() -> None:
    today = T0.date()
    mine = Candidate(
        incident_id="INC-B",
        key=segment_key("flight", "CA1501", today + timedelta(days=2)),
        reference="CA1501",
        service_date=today + timedelta(days=2),
    )
    nearest = Candidate(
        incident_id="INC-A",
        key=segment_key("flight", "CA1501", today),
        reference="CA1501",
        service_date=today,
    )
    far = Candidate(
        incident_id="INC-C",
        key=segment_key("flight", "CA1501", today + timedelta(days=9)),
        reference="CA1501",
        service_date=today + timedelta(days=9),
    )
    assert choose_incident([nearest, mine], {mine.key}, today) == mine
    assert choose_incident([mine, nearest], set(), today) == nearest
    assert choose_incident([far], set(), today) is None


def test_a_tenant_view_links_each_ticket_once() -> None:
    view = TenantIncident.open("acme", revised(1), 0, T0)
    assert view.link("TC-1", T0)
    assert not view.link("TC-1", T0)
    linked = [e for e in view.take_events() if isinstance(e, events.IncidentLinked)]
    assert [e.ticket_id for e in linked] == ["TC-1"]


def test_departing_soon_raises_an_ordinary_contacts_priority() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    soon, _ = adjust_priority(Priority.NORMAL, case.signals(None, timedelta(hours=3)))
    later, _ = adjust_priority(Priority.NORMAL, case.signals(None, timedelta(days=7)))
    assert (soon, later) == (Priority.HIGH, Priority.NORMAL)


def test_a_closed_incident_takes_no_more_contacts() -> None:
    view = TenantIncident.open("acme", revised(1), 0, T0)
    view.close("mgr-1", T0)
    view.close("mgr-2", T0)
    assert not view.link("TC-9", T0)
    updates = [e for e in view.take_events() if isinstance(e, events.IncidentUpdated)]
    assert [u.closed for u in updates] == [True]
    assert view.closed_by == "mgr-1"
