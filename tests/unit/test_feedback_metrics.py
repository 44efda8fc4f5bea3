"""Every metric computed from hand-made event sequences with known answers."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.events import (
    BookingReference,
    Channel,
    Priority,
    ReferenceKind,
    TicketStatusChanged,
)
from services.feedback.domain.buckets import day_key, hour_key, tenant_zone, week_key, zone_of
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.metrics import compute_metrics
from services.feedback.domain.repeat_contacts import booking_keys, repeat_flags
from services.feedback.domain.trends import category_trends
from tests.factories import T0
from tests.feedback_story import (
    END,
    EXPECTED,
    FLIGHT,
    HOTEL,
    NOW,
    PNR,
    START,
    Desk,
    a_day_at_the_desk,
    traveller,
)


def fold(envelopes: Iterable[Envelope[Any]]) -> dict[str, TicketFacts]:
    facts: dict[str, TicketFacts] = {}
    for envelope in envelopes:
        ticket = envelope.payload.ticket_id
        facts.setdefault(ticket, TicketFacts.blank(envelope.tenant_id, ticket)).apply(
            envelope.payload
        )
    return facts


def metrics_of(desk: Desk, now: Any = NOW, **kwargs: Any) -> Any:
    return compute_metrics(fold(desk.envelopes).values(), start=START, end=END, now=now, **kwargs)


def test_a_day_at_the_desk_gives_the_known_numbers() -> None:
    got = metrics_of(a_day_at_the_desk()).model_dump()
    assert {k: got[k] for k in EXPECTED} == EXPECTED


@pytest.mark.parametrize("seed", range(5))
def test_any_order_and_any_number_of_deliveries_give_the_same_facts(seed: int) -> None:
    envelopes = a_day_at_the_desk().envelopes
    shuffled = envelopes * 2 + envelopes[: seed + 3]
    random.Random(seed).shuffle(shuffled)

    once, scrambled = fold(envelopes), fold(shuffled)

    assert {k: f.model_dump() for k, f in scrambled.items()} == {
        k: f.model_dump() for k, f in once.items()
    }


def test_ratings_count_for_the_agent_whose_resolution_was_rated() -> None:
    groups = {
        g.key["agent"]: g.metrics for g in metrics_of(a_day_at_the_desk(), by=["agent"]).groups
    }

    assert (groups["agent-7"].tickets, groups["agent-7"].csat.avg) == (2, 3.5)
    assert (groups["expert-1"].tickets, groups["expert-1"].csat.avg) == (1, 5.0)
    assert groups["unassigned"].tickets == 2


def test_appeals_count_against_the_agent_whose_resolution_was_appealed() -> None:
    """TB: agent-7 resolved it, the traveller appealed, expert-1 decided the appeal. The
    appeal is agent-7's; expert-1 resolved a ticket and was appealed against by nobody."""
    report = metrics_of(a_day_at_the_desk(), by=["agent"])
    groups = {g.key["agent"]: g.metrics.appeals for g in report.groups}

    assert (groups["agent-7"].tickets, groups["agent-7"].filed) == (1, 1)
    assert groups["agent-7"].decided == 1
    assert (groups["expert-1"].tickets, groups["expert-1"].filed, groups["expert-1"].rate) == (
        0,
        0,
        0.0,
    )
    assert report.appeals.tickets == sum(a.tickets for a in groups.values()) == 1
    assert report.appeals == metrics_of(a_day_at_the_desk()).appeals


def test_slices_by_channel_supplier_category_language_and_queue() -> None:
    desk = a_day_at_the_desk()
    by_channel = {g.key["channel"]: g.metrics for g in metrics_of(desk, by=["channel"]).groups}
    assert (by_channel["email"].tickets, by_channel["email"].merged) == (2, 1)
    assert by_channel["web_chat"].contacts == 2
    assert by_channel["phone"].critical_resolved_in_10m.rate == 1.0

    by_supplier = {g.key["supplier"]: g.metrics for g in metrics_of(desk, by=["supplier"]).groups}
    assert by_supplier["CA"].tickets == 2
    assert by_supplier["CA"].repeat_contacts == 2

    keyed = metrics_of(desk, by=["category", "language", "queue"])
    keys = {tuple(g.key.values()): g.metrics.tickets for g in keyed.groups}
    assert keys[("hotel_issue", "zh-Hans", "expert")] == 1
    assert keys[("baggage", "ja", "general")] == 1


def test_time_buckets_are_utc_hour_day_and_iso_week_keys() -> None:
    assert (hour_key(T0), day_key(T0), week_key(T0)) == ("2026-11-25T02", "2026-11-25", "2026-W48")
    by_hour = metrics_of(a_day_at_the_desk(), by=["hour"])
    assert [g.key["hour"] for g in by_hour.groups][:2] == ["2026-11-25T02", "2026-11-25T03"]
    assert sum(g.metrics.tickets for g in by_hour.groups) == EXPECTED["tickets"]
    by_week = metrics_of(a_day_at_the_desk(), by=["week"])
    assert [g.key["week"] for g in by_week.groups] == ["2026-W48"]


def test_a_tickets_hour_day_and_week_are_cut_in_its_business_time_zone() -> None:
    """A Shanghai desk's ticket opened at 01:30 on Monday 23 November, local time (17:30 UTC
    on Sunday the 22nd), and its follow-up fall on the 23rd and in week 48 of its daily and
    weekly figures, not on the UTC day and week before."""
    desk = Desk(tenant="shanghai-travel")
    desk.opened("T1", -(2 * 24 * 60 + 8 * 60 + 30), traveller("A", "zh-Hans"))
    desk.routed("T1", -(2 * 24 * 60 + 8 * 60 + 29), time_zone="Asia/Shanghai")
    desk.followed_up("T1", -(2 * 24 * 60 + 8 * 60))
    desk.opened("T2", -(2 * 24 * 60 + 8 * 60 + 30), traveller("B"))
    start, end = T0 - timedelta(days=3), T0
    facts = list(fold(desk.envelopes).values())
    by = ["hour", "day", "week"]
    report = compute_metrics(facts, start=start, end=end, now=NOW, by=by)

    keys = {tuple(g.key.values()): (g.metrics.tickets, g.metrics.contacts) for g in report.groups}
    assert keys == {
        ("2026-11-23T01", "2026-11-23", "2026-W48"): (1, 1),
        ("2026-11-23T02", "2026-11-23", "2026-W48"): (0, 1),
        ("2026-11-22T17", "2026-11-22", "2026-W47"): (1, 1),
    }, "T2 was never routed under a calendar: UTC"


def test_the_tenants_zone_is_the_one_most_of_its_tickets_were_routed_under() -> None:
    """A Shanghai company with a Tokyo office: Shanghai's calendar routes most tickets."""
    zones = [None, "Asia/Tokyo", "Asia/Shanghai", "Asia/Shanghai", None]
    assert tenant_zone(zones) == "Asia/Shanghai"
    assert tenant_zone(["Asia/Tokyo", "Asia/Taipei"]) == "Asia/Taipei", "a tie: by name"
    assert tenant_zone([None]) is None, "24/7 everywhere: UTC"


def test_hours_are_the_wall_clocks_across_daylight_saving() -> None:
    """New York falls back on 1 November 2026: 01:30 EDT and 01:30 EST share one hour row."""
    new_york = zone_of("America/New_York")
    first, second = (
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    )
    assert hour_key(first, new_york) == hour_key(second, new_york) == "2026-11-01T01"
    assert day_key(datetime(2026, 3, 8, 4, 59, tzinfo=UTC), new_york) == "2026-03-07"


def test_a_ticket_still_open_counts_as_open_with_no_resolution_time() -> None:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.routed("T1", 1, first_response_in=30, resolution_in=60)
    metrics = metrics_of(desk, now=T0 + timedelta(minutes=20))

    assert (metrics.tickets, metrics.resolved, metrics.open) == (1, 0, 1)
    assert metrics.resolution_time_s.count == 0
    assert metrics.first_contact_resolution_rate is None
    assert metrics.sla.attainment.of == 0, "no clock has stopped: nothing decided"

    late = metrics_of(desk, now=T0 + timedelta(hours=2))
    assert late.sla.attainment.of == 0, "routing decides breaches (sla.*), not a passing deadline"


def test_a_reopened_ticket_is_resolved_only_by_its_last_resolution() -> None:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.resolved("T1", 10)
    desk.reopened("T1", 20)
    reopened = metrics_of(desk)
    assert (reopened.resolved, reopened.open) == (0, 1)

    desk.resolved("T1", 90, count=2)
    resolved = metrics_of(desk)
    assert resolved.resolved == 1
    assert resolved.resolution_time_s.avg == 90 * 60.0
    assert resolved.first_contact_resolution_rate == 0.0


def test_a_merged_duplicate_is_not_a_ticket_but_its_contact_counts() -> None:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.opened("T2", 5, traveller("A"), Channel.PHONE)
    desk.merged("T2", "T1", 6)
    metrics = metrics_of(desk)

    assert (metrics.tickets, metrics.merged) == (1, 1)
    assert (metrics.contacts, metrics.repeat_contacts) == (2, 1)


def test_proactive_tickets_are_not_contacts_so_a_disruption_makes_no_repeats() -> None:
    desk = Desk()
    flight = (BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501"),)
    for n, who in enumerate("ABC"):
        desk.opened(f"P{n}", 0, traveller(who), Channel.IN_APP, flight, proactive=True)
    desk.followed_up("P0", 30)
    metrics = metrics_of(desk)

    assert metrics.tickets == 3
    assert (metrics.contacts, metrics.repeat_contacts) == (1, 0)


def test_a_ticket_closed_without_resolution_is_neither_resolved_nor_open() -> None:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.routed("T1", 1, resolution_in=5)
    desk.emit(
        TicketStatusChanged(
            ticket_id="T1", from_status="routed", to_status="closed", by="a", changed_at=T0
        )
    )
    metrics = metrics_of(desk)
    assert (metrics.resolved, metrics.open, metrics.closed_unresolved) == (0, 0, 1)
    assert metrics.sla.resolution.of == 0, "only routing's sla.stopped decides a clock"


def test_a_bot_answer_that_held_is_not_a_reopen() -> None:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"), Channel.WEB_CHAT)
    desk.bot_answered("T1", 1)
    desk.resolved("T1", 30, by="bot")
    metrics = metrics_of(desk)

    assert (metrics.bot.answered, metrics.bot.reopened, metrics.bot.reopen_rate) == (1, 0, 0.0)
    assert metrics.first_response_time_s.avg == 60.0
    assert metrics.first_contact_resolution_rate == 1.0


def test_critical_tickets_are_judged_once_resolved_or_past_ten_minutes() -> None:
    desk = Desk()
    for ticket, minute in (("T1", 0), ("T2", 100), ("T3", 200)):
        desk.opened(ticket, minute, traveller(ticket), priority=Priority.CRITICAL)
    desk.resolved("T1", 11)
    metrics = metrics_of(desk, now=T0 + timedelta(minutes=205))

    assert metrics.critical_resolved_in_10m.model_dump() == {"part": 0, "of": 2, "rate": 0.0}


def test_nps_is_promoters_minus_detractors() -> None:
    desk = Desk()
    for n, score in enumerate((10, 9, 8, 6, 0)):
        ticket = f"T{n}"
        desk.opened(ticket, n, traveller(ticket))
        desk.resolved(ticket, n + 1)
        desk.rated(ticket, 1, n + 2, csat=4, nps=score)
    nps = metrics_of(desk).nps

    assert (nps.promoters, nps.passives, nps.detractors, nps.score) == (2, 1, 2, 0.0)


def test_repeat_contacts_match_traveller_or_booking_within_72_hours() -> None:
    hour = timedelta(hours=1)
    contacts = [
        (T0, "a", ["XKQ7PZ"]),
        (T0 + 1 * hour, "b", []),
        (T0 + 2 * hour, "c", ["XKQ7PZ"]),  # same booking (its PNR), other traveller: a booker
        (T0 + 80 * hour, "b", []),  # same traveller, but 79 h later
        (T0 + 81 * hour, "b", []),  # and again an hour later
    ]
    assert repeat_flags(contacts) == [False, False, True, False, True]


def test_travellers_on_the_same_flight_are_not_repeat_contacts() -> None:
    """A cancelled flight: fifteen travellers on CA1501 write in; one of them writes twice."""
    desk = Desk()
    for n in range(15):
        desk.opened(f"T{n}", n, traveller(f"P{n}"), references=(FLIGHT,))
    desk.opened("T15", 30, traveller("P3"), Channel.PHONE, references=(FLIGHT,))
    train = BookingReference(kind=ReferenceKind.TRAIN, value="G1234")
    desk.opened("T16", 40, traveller("Q"), references=(train,))
    desk.opened("T17", 41, traveller("R"), references=(train,))  # a train number is shared too
    metrics = metrics_of(desk)

    assert (metrics.contacts, metrics.repeat_contacts) == (18, 1)
    assert booking_keys([FLIGHT, PNR, HOTEL]) == ["ABC123", "HB12345"]


def test_category_trends_compare_with_the_previous_period() -> None:
    trends = category_trends(
        Counter({"hotel_issue": 23, "baggage": 5, "invoice": 2}),
        Counter({"hotel_issue": 20, "invoice": 4}),
        top=2,
    )
    assert [(t.category, t.count, t.previous, t.change) for t in trends] == [
        ("hotel_issue", 23, 20, 0.15),
        ("baggage", 5, 0, None),
    ]


def test_metrics_of_nothing_are_empty_not_zero() -> None:
    metrics = compute_metrics([], start=START, end=END, now=NOW)
    assert metrics.tickets == 0
    assert metrics.first_response_time_s.avg is None
    assert metrics.csat.avg is None
    assert metrics.first_contact_resolution_rate is None
    assert metrics.repeat_contact_rate is None
    assert metrics.sla.attainment.rate is None


def test_routings_language_stands_whichever_of_opening_and_routing_arrives_first() -> None:
    """``language`` is routing's detection, else intake's: a ``ticket.opened`` delivered after
    ``ticket.routed`` put intake's back (a Japanese ticket under ``en``)."""
    desk = Desk()
    desk.opened("T1", 0, traveller("A", "en"))
    desk.routed("T1", 1, language="ja")
    desk.bot_answered("T1", 2)  # the bot answers in en: routing's detection still stands
    opened, routed, answered = desk.envelopes

    orders = [[opened, routed, answered], [routed, answered, opened], [answered, routed, opened]]
    for order in orders:
        (facts,) = fold(order).values()
        assert facts.language == "ja", [e.schema_name for e in order]

    unrouted = Desk()
    unrouted.opened("T2", 0, traveller("B", "zh-Hans"))
    unrouted.bot_answered("T2", 1)
    first, bot = unrouted.envelopes
    assert fold([bot, first])["T2"].language == fold([first, bot])["T2"].language == "zh-Hans"


def test_the_queue_is_the_latest_named_one_whichever_order_the_moves_arrive_in() -> None:
    """A transfer to an agent only (no ``to_queue``) keeps the ticket's queue. Delivered
    before the earlier transfer to q2, it made that one look stale: the queue stayed q1."""
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.routed("T1", 1, queue="q1", assignee="agent-1")
    moves = [("q2", None, 20), (None, "agent-3", 30)]
    for to_queue, to_assignee, minute in moves:
        desk.transferred("T1", minute, to_queue, to_assignee)
    opened, routed, to_q2, to_agent = desk.envelopes

    for order in ([opened, routed, to_q2, to_agent], [to_agent, opened, routed, to_q2]):
        facts = fold(order)["T1"]
        assert (facts.queue, facts.assignee) == ("q2", "agent-3"), [e.schema_name for e in order]


@pytest.mark.parametrize("seed", range(40))
def test_the_category_is_the_latest_named_one_whichever_order_the_events_arrive_in(
    seed: int,
) -> None:
    """A re-route that names no category keeps the ticket's. Delivered before an earlier
    routing that named one, it made that one look stale: the category stayed the older one,
    or none (by=category counted the ticket under the traveller's hint)."""
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.routed("T1", 1, category="baggage")
    desk.routed("T1", 10, category="refund")
    desk.routed("T1", 20, category=None)
    desk.opened("T2", 0, traveller("B"))
    desk.routed("T2", 1, category=None)
    desk.routed("T2", 5, category="visa")
    desk.routed("T2", 9, category=None)
    desk.opened("T3", 0, traveller("C"))
    desk.routed("T3", 1, category="other")
    desk.bot_answered("T3", 5)  # the bot's category is routing's too, named later
    envelopes = desk.envelopes
    shuffled = envelopes + envelopes[: seed % len(envelopes)]
    random.Random(seed).shuffle(shuffled)

    facts = fold(shuffled)

    got = {ticket: f.category for ticket, f in facts.items()}
    assert got == {"T1": "refund", "T2": "visa", "T3": "baggage"}, [
        (e.payload.ticket_id, e.schema_name) for e in shuffled
    ]


def test_facts_stored_before_the_category_was_dated_keep_it_against_older_routings() -> None:
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    desk.routed("T1", 5, category="baggage")
    desk.routed("T1", 30, category="visa")
    desk.routed("T1", 40, category=None)
    older, later, unnamed = desk.envelopes[1:]
    stored = fold(desk.envelopes[:1])["T1"].model_dump()
    stored.update(category="refund", last_routed_at=T0 + timedelta(minutes=10))
    facts = TicketFacts.model_validate({k: v for k, v in stored.items() if k != "categorised_at"})

    facts.apply(older.payload)
    assert facts.category == "refund"
    facts.apply(unnamed.payload)
    facts.apply(later.payload)
    assert facts.category == "visa"


def test_facts_stored_before_the_queue_was_dated_take_a_later_named_queue_late() -> None:
    """Facts stored before ``queued_at`` date their queue by their latest placement, on the
    first event they see: a move to an agent only must not make a later-delivered, earlier
    transfer to q2 look older than q1."""
    desk = Desk()
    desk.opened("T1", 0, traveller("A"))
    for to_queue, to_assignee, minute in [(None, "agent-3", 40), ("q2", None, 30)]:
        desk.transferred("T1", minute, to_queue, to_assignee)
    to_agent, to_q2 = desk.envelopes[1:]
    stored = fold(desk.envelopes[:1])["T1"].model_dump()
    stored.update(queue="q1", placed_at=T0 + timedelta(minutes=20))
    facts = TicketFacts.model_validate({k: v for k, v in stored.items() if k != "queued_at"})

    facts.apply(to_agent.payload)
    facts.apply(to_q2.payload)
    assert (facts.queue, facts.assignee) == ("q2", "agent-3")
