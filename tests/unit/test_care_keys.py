"""Care keys (services/routing/care/domain/care_keys.py): a member names what may concern a
traveller or a reference until when; a reader keeps only the members not over yet."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts.events import Channel, Traveller
from runtime.clock import epoch_ms
from services.routing.care.domain.care_keys import (
    disruption_entries,
    live,
    member,
    over,
    trip_entries,
)
from services.routing.care.domain.incidents import Disruption, open_until_ms
from services.routing.care.domain.suppliers import SUPPLIER_SCOPE
from services.routing.care.domain.trips import Trip

NOON = epoch_ms(datetime(2026, 12, 6, 12, 0, tzinfo=UTC))


def test_members_sort_by_when_they_are_over() -> None:
    assert member(5, "x") == "0000000000005|x"
    assert member(-1, "x") == "0000000000000|x"
    assert sorted([member(NOON, "b"), member(7, "a")])[0] == member(7, "a")


def test_a_reader_keeps_each_live_id_once_and_drops_what_is_over_or_unreadable() -> None:
    members = [
        member(NOON - 1, "over"),
        member(NOON, "ends-now"),
        member(NOON + 1, "later"),
        member(NOON + 5, "later"),  # the same booking, moved: a second member
        "garbage",
        "12|",
        "|no-until",
    ]

    assert live(members, NOON) == ["ends-now", "later"]


def test_what_the_pruner_takes_out_is_exactly_what_no_reader_would_keep() -> None:
    members = [
        member(NOON - 1, "over"),
        member(NOON, "ends-now"),
        member(NOON + 1, "later"),
        "garbage",
        "12|",
        "|no-until",
    ]

    assert over(members, NOON) == [member(NOON - 1, "over"), "garbage", "12|", "|no-until"]
    assert sorted(live([m for m in members if m not in over(members, NOON)], NOON)) == sorted(
        live(members, NOON)
    )


def test_a_booking_is_keyed_under_its_tenants_traveller_until_it_ends() -> None:
    trip = Trip(
        id="acme/bk-1",
        tenant_id="acme",
        booking_id="bk-1",
        traveller=Traveller(id="ann"),
        channel=Channel.IN_APP,
        ends_ms=NOON,
    )

    assert trip_entries(trip) == [("traveller|acme|ann", member(NOON, "acme/bk-1"))]
    assert trip_entries(trip.model_copy(update={"ends_ms": 0})) == []


def test_a_disruption_is_keyed_under_its_reference_until_it_closes_before_any_report() -> None:
    blank = Disruption(
        id="flight:CA1501:2026-12-06",
        tenant_id=SUPPLIER_SCOPE,
        resource="flight",
        reference="CA1501",
        service_date=date(2026, 12, 6),
        partner="ca",
        kind="flight_cancelled",
    )
    closes = open_until_ms(date(2026, 12, 6))

    assert closes == epoch_ms(datetime(2026, 12, 9, 0, 0, tzinfo=UTC))
    assert disruption_entries(blank) == [("reference|CA1501", member(closes, blank.id))]
