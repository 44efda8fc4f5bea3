"""The SLA engine with a fake clock: calendars (24/7, business hours, holidays, time zones,
DST), pauses, clock runs, reopenings and policy validation. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from contracts.events import Priority, SlaClock
from runtime.clock import FakeClock
from services.routing.sla.domain import (
    ALWAYS,
    DEFAULT_SLA,
    BusinessHours,
    Calendar,
    CaseSla,
    ClockRun,
    Pause,
    PriorityTerms,
    SlaPolicy,
    Targets,
    Tier,
    TimerKind,
    deadline,
    elapsed,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = Calendar(
    business_hours=BusinessHours(
        time_zone="Asia/Shanghai",
        days=(1, 2, 3, 4, 5),
        opens=time(9),
        closes=time(18),
        holidays=(date(2026, 10, 5),),
    )
)
"""Monday to Friday 09:00–18:00 in Shanghai; Monday 5 October 2026 a holiday."""


def local(
    day: int, hour: int, minute: int = 0, month: int = 10, zone: ZoneInfo = SHANGHAI
) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone)


def targets(first: int, next_: int, resolution: int, supplier: int = 3600) -> Targets:
    return Targets(
        first_response_s=first,
        next_response_s=next_,
        resolution_s=resolution,
        supplier_s=supplier,
    )


def policy(calendar: Calendar = ALWAYS, **tiers: Targets) -> SlaPolicy:
    terms = PriorityTerms(
        targets=targets(300, 600, 3600), calendar=calendar, warn_share=0.8, **tiers
    )
    return SlaPolicy(priorities=dict.fromkeys(Priority, terms))


# ---------------------------------------------------------------- calendars


def test_around_the_clock_a_deadline_is_start_plus_target() -> None:
    start = datetime(2026, 10, 3, 23, 58, tzinfo=UTC)
    assert deadline(start, 300, ALWAYS, []) == start + timedelta(minutes=5)


def test_business_hours_carry_over_the_weekend() -> None:
    # Friday 2 October 17:00 Shanghai, two hours of work: one on Friday, one on Tuesday
    # (Monday 5 October is a holiday).
    due = deadline(local(2, 17), 2 * 3600, OFFICE, [])
    assert due == local(6, 10)


def test_a_ticket_opened_out_of_hours_starts_counting_when_the_office_opens() -> None:
    saturday_night = local(3, 23, 30)
    assert OFFICE.counted(saturday_night, local(6, 9)) == 0
    assert deadline(saturday_night, 30 * 60, OFFICE, []) == local(6, 9, 30)


def test_counted_time_is_the_overlap_with_opening_hours() -> None:
    # Thursday 08:00 → Friday 10:00: Thursday 9 h, Friday 1 h.
    assert OFFICE.counted(local(1, 8), local(2, 10)) == 10 * 3600


def test_the_time_zone_decides_what_is_in_hours() -> None:
    # 02:00 UTC is 10:00 in Shanghai (in hours) and 04:00 in Berlin (out of hours).
    at = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    berlin = Calendar(business_hours=BusinessHours(time_zone="Europe/Berlin"))
    assert deadline(at, 600, OFFICE, []) == at + timedelta(minutes=10)
    assert deadline(at, 600, berlin, []) == local(1, 9, 10, zone=BERLIN)


def test_a_night_shift_across_the_spring_dst_change_counts_real_time() -> None:
    # Berlin skips 02:00–03:00 on Sunday 29 March 2026: 01:00–05:00 is three real hours.
    night = Calendar(
        business_hours=BusinessHours(
            time_zone="Europe/Berlin", days=(7,), opens=time(1), closes=time(5)
        )
    )
    start = local(29, 0, month=3, zone=BERLIN)
    assert night.counted(start, local(29, 6, month=3, zone=BERLIN)) == 3 * 3600


NEW_YORK = ZoneInfo("America/New_York")
"""Springs forward on Sunday 8 March 2026 (02:00 → 03:00), falls back on Sunday 1 November
(02:00 → 01:00, so 01:00–02:00 runs twice)."""


def nightly(opens: time, closes: time, zone: str = "America/New_York") -> Calendar:
    return Calendar(
        business_hours=BusinessHours(
            time_zone=zone, days=(1, 2, 3, 4, 5, 6, 7), opens=opens, closes=closes
        )
    )


def new_york(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


def test_a_window_opening_in_the_spring_gap_counts_what_the_wall_clock_shows_of_it() -> None:
    # 02:30 does not exist on 8 March: the desk is open from 03:00 (the change) to 03:15,
    # not from 03:30 (zoneinfo's fold 0 reading) to 03:15, minus a quarter of an hour.
    desk = nightly(time(2, 30), time(3, 15))
    assert desk.counted(new_york(8, 0), new_york(8, 12)) == 15 * 60
    assert desk.counted(new_york(7, 0), new_york(9, 12)) == 3 * 45 * 60 - 30 * 60
    assert deadline(new_york(8, 0), 10 * 60, desk, []) == new_york(8, 3, 10)


def test_a_window_opening_in_the_spring_gap_runs_from_the_change() -> None:
    desk = nightly(time(2, 30), time(5))
    assert desk.counted(new_york(8, 0), new_york(8, 12)) == 2 * 3600
    assert deadline(new_york(8, 0), 3600, desk, []) == new_york(8, 4)


def test_a_window_wholly_inside_the_spring_gap_counts_nothing_that_day() -> None:
    desk = nightly(time(2), time(2, 45))
    assert desk.counted(new_york(8, 0), new_york(8, 12)) == 0
    assert deadline(new_york(8, 0), 60, desk, []) == new_york(9, 2, 1)


def test_a_window_closing_in_the_spring_gap_closes_at_the_change() -> None:
    # 01:00–02:30: open 01:00 EST until the clock jumps to 03:00 EDT, one real hour.
    assert nightly(time(1), time(2, 30)).counted(new_york(8, 0), new_york(8, 12)) == 3600
    assert nightly(time(1), time(3)).counted(new_york(8, 0), new_york(8, 12)) == 3600


def test_a_window_in_a_half_hour_gap_counts_from_the_change() -> None:
    # Lord Howe Island skips 02:00–02:30 on Sunday 4 October 2026.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    desk = nightly(time(2, 15), time(2, 45), zone="Australia/Lord_Howe")
    start = datetime(2026, 10, 4, 0, 0, tzinfo=lord_howe)
    assert desk.counted(start, start + timedelta(hours=6)) == 15 * 60


def test_the_repeated_autumn_hour_counts_as_the_real_time_it_takes() -> None:
    # A window is the real time from its first opening to its first closing reading:
    # 00:00–03:00 on 1 November covers both passes of 01:00–02:00 (four hours); 01:00–01:30
    # is the first pass only; 01:30–02:00 runs from 01:30 EDT to 02:00 EST (an hour and a half).
    day = (new_york(1, 0, month=11), new_york(1, 12, month=11))
    assert nightly(time(0), time(3)).counted(*day) == 4 * 3600
    assert nightly(time(1), time(1, 30)).counted(*day) == 30 * 60
    assert nightly(time(1, 30), time(2)).counted(*day) == 90 * 60
    # An hour from 01:00 EDT is 01:00 EST, the second pass (05:00 → 06:00 UTC).
    assert deadline(day[0], 3600, nightly(time(1), time(3)), []) == datetime(
        2026, 11, 1, 6, tzinfo=UTC
    )


def test_results_are_the_same_instant_whatever_zone_the_input_is_in() -> None:
    start = local(2, 17)
    assert deadline(start.astimezone(UTC), 7200, OFFICE, []) == deadline(start, 7200, OFFICE, [])


# ---------------------------------------------------------------- pauses


def test_a_closed_pause_pushes_the_deadline_back_by_its_length() -> None:
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    pause = Pause(
        start=start + timedelta(minutes=10), end=start + timedelta(minutes=25), reason="x"
    )
    assert deadline(start, 1800, ALWAYS, [pause]) == start + timedelta(minutes=45)
    assert elapsed(start, start + timedelta(minutes=45), ALWAYS, [pause]) == 1800


def test_an_open_pause_means_no_deadline_and_no_counting() -> None:
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    pause = Pause(start=start + timedelta(minutes=10), reason="waiting on traveller")
    assert deadline(start, 1800, ALWAYS, [pause]) is None
    assert elapsed(start, start + timedelta(hours=5), ALWAYS, [pause]) == 600


def test_a_pause_that_starts_after_the_deadline_does_not_move_it() -> None:
    start = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    late = Pause(start=start + timedelta(hours=2), reason="x")
    assert deadline(start, 1800, ALWAYS, [late]) == start + timedelta(minutes=30)


def test_a_pause_outside_business_hours_costs_nothing() -> None:
    overnight = Pause(start=local(1, 19), end=local(2, 8), reason="waiting on traveller")
    assert deadline(local(1, 17), 7200, OFFICE, [overnight]) == local(2, 10)


def test_a_pause_within_business_hours_is_not_counted() -> None:
    lunch = Pause(start=local(1, 12), end=local(1, 13), reason="waiting on supplier")
    assert deadline(local(1, 11), 7200, OFFICE, [lunch]) == local(1, 14)
    assert elapsed(local(1, 11), local(1, 14), OFFICE, [lunch]) == 7200


# ---------------------------------------------------------------- one clock run


def run(target_s: int = 1800, calendar: Calendar = ALWAYS) -> tuple[ClockRun, FakeClock]:
    clock = FakeClock(datetime(2026, 10, 1, 8, 0, tzinfo=UTC))
    started = ClockRun(
        clock=SlaClock.RESOLUTION,
        generation=1,
        target_s=target_s,
        warn_share=0.8,
        calendar=calendar,
        started_at=clock.now(),
    )
    started.refresh()
    return started, clock


def test_a_run_warns_at_its_share_and_breaches_at_its_target() -> None:
    clock_run, clock = run()
    assert [(t.kind, t.due - clock.now()) for t in clock_run.timers()] == [
        (TimerKind.WARN, timedelta(minutes=24)),
        (TimerKind.BREACH, timedelta(minutes=30)),
    ]


def test_a_paused_run_has_no_timers_and_resumes_with_them_moved() -> None:
    clock_run, clock = run()
    start = clock.now()
    clock.advance(timedelta(minutes=20))
    clock_run.pause(clock.now(), "waiting on traveller")
    assert clock_run.timers() == []
    clock.advance(timedelta(hours=3))
    clock_run.resume(clock.now())
    assert clock_run.deadline == start + timedelta(hours=3, minutes=30)
    assert clock_run.warn_at == start + timedelta(hours=3, minutes=24)


def test_stopping_within_target_is_met_and_counts_only_running_time() -> None:
    clock_run, clock = run()
    clock.advance(timedelta(minutes=10))
    clock_run.pause(clock.now(), "waiting on supplier")
    clock.advance(timedelta(hours=2))
    clock_run.stop(clock.now())  # stopping ends the pause too
    assert (clock_run.met, clock_run.elapsed_s, clock_run.timers()) == (True, 600, [])


def test_a_breached_run_is_never_met_even_if_stopped_in_time_by_a_late_event() -> None:
    clock_run, clock = run()
    clock_run.breached = True
    clock.advance(timedelta(minutes=5))
    clock_run.stop(clock.now())
    assert clock_run.met is False


def test_stopping_late_is_not_met() -> None:
    clock_run, clock = run()
    clock.advance(timedelta(minutes=31))
    clock_run.stop(clock.now())
    assert (clock_run.met, clock_run.elapsed_s) == (False, 31 * 60)


# ---------------------------------------------------------------- a ticket's clocks


T = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def opened_sla(sla_policy: SlaPolicy | None = None) -> CaseSla:
    sla = CaseSla()
    sla.start_run(sla_policy or policy(), Priority.HIGH, Tier.NEW, T, respond=True)
    return sla


def test_opening_starts_first_response_and_resolution() -> None:
    sla = opened_sla()
    assert sla.due(SlaClock.FIRST_RESPONSE) == T + timedelta(minutes=5)
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=1)
    assert {(t.clock, t.kind) for t in sla.timers()} == {
        (SlaClock.FIRST_RESPONSE, TimerKind.WARN),
        (SlaClock.FIRST_RESPONSE, TimerKind.BREACH),
        (SlaClock.RESOLUTION, TimerKind.WARN),
        (SlaClock.RESOLUTION, TimerKind.BREACH),
    }


def test_the_reply_stops_first_response_and_the_next_message_starts_next_response() -> None:
    sla = opened_sla()
    (first,) = sla.responded(T + timedelta(minutes=3))
    assert (first.clock, first.met, first.elapsed_s) == (SlaClock.FIRST_RESPONSE, True, 180)
    sla.traveller_wrote(Priority.HIGH, T + timedelta(minutes=20))
    assert sla.due(SlaClock.NEXT_RESPONSE) == T + timedelta(minutes=30)
    (following,) = sla.responded(T + timedelta(minutes=35))
    assert (following.clock, following.met) == (SlaClock.NEXT_RESPONSE, False)


def test_a_message_before_the_first_reply_starts_nothing_new() -> None:
    sla = opened_sla()
    sla.traveller_wrote(Priority.HIGH, T + timedelta(minutes=1))
    assert SlaClock.NEXT_RESPONSE not in sla.clocks


def test_waiting_on_the_traveller_pauses_the_customer_clocks() -> None:
    sla = opened_sla()
    sla.responded(T + timedelta(minutes=2))
    assert sla.wait(False, Priority.HIGH, T + timedelta(minutes=10)) == []
    assert sla.due(SlaClock.RESOLUTION) is None
    assert sla.timers() == []
    assert sla.resume(T + timedelta(hours=2)) == []
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=2, minutes=50)


def test_waiting_on_a_supplier_runs_the_supplier_clock_until_the_wait_ends() -> None:
    sla = opened_sla()
    sla.wait(True, Priority.HIGH, T + timedelta(minutes=10))
    assert sla.due(SlaClock.RESOLUTION) is None
    assert sla.due(SlaClock.SUPPLIER) == T + timedelta(hours=1, minutes=10)
    assert [t.clock for t in sla.timers()] == [SlaClock.SUPPLIER, SlaClock.SUPPLIER]
    (chase,) = sla.resume(T + timedelta(minutes=40))
    assert (chase.clock, chase.met, chase.elapsed_s) == (SlaClock.SUPPLIER, True, 1800)
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=1, minutes=30)


def test_a_message_while_waiting_on_a_supplier_starts_next_response_paused() -> None:
    """The traveller chasing a ticket that waits on the airline: the next response clock
    starts, but waits with the other customer clocks (it used to run and breach mid-wait)."""
    sla = opened_sla()
    sla.responded(T + timedelta(minutes=2))
    sla.wait(True, Priority.HIGH, T + timedelta(minutes=10))
    sla.traveller_wrote(Priority.HIGH, T + timedelta(minutes=20))
    assert sla.due(SlaClock.NEXT_RESPONSE) is None
    assert [t.clock for t in sla.timers()] == [SlaClock.SUPPLIER, SlaClock.SUPPLIER]
    sla.resume(T + timedelta(minutes=40))
    assert sla.due(SlaClock.NEXT_RESPONSE) == T + timedelta(minutes=50)


def test_resolving_stops_every_running_clock_once() -> None:
    sla = opened_sla()
    stopped = sla.stop_all(T + timedelta(minutes=50))
    assert {(r.clock, r.met) for r in stopped} == {
        (SlaClock.FIRST_RESPONSE, False),
        (SlaClock.RESOLUTION, True),
    }
    assert sla.stop_all(T + timedelta(minutes=55)) == []


def test_reopened_and_appealed_tickets_run_on_their_own_targets() -> None:
    reopened, appeal = targets(120, 240, 1200), targets(60, 120, 900)
    sla = opened_sla(policy(reopened=reopened, appeal=appeal))
    sla.stop_all(T + timedelta(minutes=30))
    later = T + timedelta(days=1)
    sla.start_run(sla.policy, Priority.HIGH, Tier.REOPENED, later, respond=True)
    assert sla.due(SlaClock.FIRST_RESPONSE) == later + timedelta(minutes=2)
    assert sla.due(SlaClock.RESOLUTION) == later + timedelta(minutes=20)
    sla.start_run(sla.policy, Priority.HIGH, Tier.APPEAL, later, respond=True)
    assert sla.due(SlaClock.RESOLUTION) == later + timedelta(minutes=15)


def test_a_new_run_stops_what_was_still_running_and_gets_new_generations() -> None:
    sla = opened_sla()
    generations = {r.generation for r in sla.clocks.values()}
    stopped = sla.start_run(
        sla.policy, Priority.HIGH, Tier.REOPENED, T + timedelta(minutes=1), respond=True
    )
    assert len(stopped) == 2
    assert generations.isdisjoint(r.generation for r in sla.clocks.values())


def test_a_raised_priority_counts_its_targets_from_the_raise() -> None:
    sla = CaseSla()
    sla.start_run(DEFAULT_SLA, Priority.NORMAL, Tier.NEW, T, respond=True)
    sla.retarget(Priority.CRITICAL, T + timedelta(minutes=2))
    assert sla.due(SlaClock.FIRST_RESPONSE) == T + timedelta(minutes=7)
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=1, minutes=2)


def test_a_raise_late_in_a_run_does_not_breach_at_once() -> None:
    """Open two hours at normal (resolution 24 h), raised to critical (1 h): counted from the
    start the hour had passed and the clock breached at the raise, for nothing anyone could
    have done. From the raise it is due an hour later, warned at 80 % of that hour."""
    sla = CaseSla()
    sla.start_run(DEFAULT_SLA, Priority.NORMAL, Tier.NEW, T, respond=True)
    sla.responded(T + timedelta(minutes=10))
    raised = T + timedelta(hours=2)
    sla.retarget(Priority.CRITICAL, raised)

    assert sla.due(SlaClock.RESOLUTION) == raised + timedelta(hours=1)
    assert not sla.pending(SlaClock.RESOLUTION, TimerKind.BREACH, 2, raised)
    warn = next(t for t in sla.timers() if t.kind is TimerKind.WARN)
    assert warn.due == raised + timedelta(minutes=48)
    (run,) = sla.resolved(T + timedelta(minutes=10), raised + timedelta(minutes=50))
    assert run.met is True
    stopped = run.stopped_event("TC-1", None, case_priority=Priority.CRITICAL)
    assert (stopped.target_seconds, stopped.elapsed_seconds) == (3 * 3600, 2 * 3600 + 50 * 60)


def test_a_raise_never_moves_a_deadline_later() -> None:
    """High (first response 15 min) raised to critical (5 min) at minute 14: still due at
    minute 15, as the traveller was told, not 19."""
    sla = CaseSla()
    sla.start_run(DEFAULT_SLA, Priority.HIGH, Tier.NEW, T, respond=True)
    sla.retarget(Priority.CRITICAL, T + timedelta(minutes=14))
    assert sla.due(SlaClock.FIRST_RESPONSE) == T + timedelta(minutes=15)
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=1, minutes=14)


def test_a_deadline_passed_before_the_raise_stays_where_it_was() -> None:
    """Its breach was owed on the terms it ran under, which it keeps; the raise does not
    move it to the raise."""
    sla = CaseSla()
    sla.start_run(DEFAULT_SLA, Priority.NORMAL, Tier.NEW, T, respond=True)
    sla.retarget(Priority.HIGH, T + timedelta(hours=1))
    assert sla.due(SlaClock.FIRST_RESPONSE) == T + timedelta(minutes=30)
    assert sla.clocks[SlaClock.FIRST_RESPONSE].priority is Priority.NORMAL
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=5)


def test_a_raise_during_a_wait_counts_from_the_wait_s_end() -> None:
    """Waiting on the traveller nothing counts, before the raise or after it; two raises
    each count from their own moment."""
    sla = CaseSla()
    sla.start_run(DEFAULT_SLA, Priority.LOW, Tier.NEW, T, respond=True)
    sla.responded(T + timedelta(minutes=10))
    sla.wait(False, Priority.LOW, T + timedelta(hours=1))
    sla.retarget(Priority.HIGH, T + timedelta(hours=5))
    assert sla.due(SlaClock.RESOLUTION) is None
    sla.resume(T + timedelta(hours=6))
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=10)
    sla.retarget(Priority.CRITICAL, T + timedelta(hours=7))
    assert sla.due(SlaClock.RESOLUTION) == T + timedelta(hours=8)


def test_a_raise_counts_on_business_hours_from_the_raise() -> None:
    """Thursday 17:00 Shanghai, raised: the raised target's 2 h count from the raise in
    office hours, 1 h that evening and 1 h on Friday morning."""
    normal = PriorityTerms(targets=targets(600, 1200, 10 * 3600), calendar=OFFICE)
    high = PriorityTerms(targets=targets(300, 600, 2 * 3600), calendar=OFFICE)
    office = SlaPolicy(priorities={**dict.fromkeys(Priority, normal), Priority.HIGH: high})
    sla = CaseSla()
    sla.start_run(office, Priority.NORMAL, Tier.NEW, local(1, 10), respond=True)
    sla.responded(local(1, 10, 5))
    sla.retarget(Priority.HIGH, local(1, 17))
    assert sla.due(SlaClock.RESOLUTION) == local(2, 10)


def test_a_run_reports_the_priority_whose_targets_it_ran_on() -> None:
    """A raise that retargets a run (a follow-up) is its priority; a new run starts on its
    own; the stopped event says it, whatever the case's priority is by then."""
    sla = CaseSla()
    sla.start_run(DEFAULT_SLA, Priority.NORMAL, Tier.NEW, T, respond=True)
    assert {r.priority for r in sla.clocks.values()} == {Priority.NORMAL}
    sla.retarget(Priority.HIGH, T + timedelta(minutes=1))
    (first,) = sla.responded(T + timedelta(minutes=3))
    sla.traveller_wrote(Priority.CRITICAL, T + timedelta(minutes=4))

    stopped = first.stopped_event("TC-1", "invoice", case_priority=Priority.CRITICAL)
    assert stopped.priority is Priority.HIGH
    assert sla.clocks[SlaClock.NEXT_RESPONSE].priority is Priority.CRITICAL
    assert sla.clocks[SlaClock.RESOLUTION].priority is Priority.HIGH
    stored_before, _ = run()
    assert stored_before.ran_under(Priority.LOW) is Priority.LOW, "the case's stands in"


def test_a_traveller_on_a_trip_is_served_around_the_clock() -> None:
    saturday = local(3, 12)
    home = CaseSla()
    home.start_run(policy(OFFICE), Priority.HIGH, Tier.NEW, saturday, respond=True)
    travelling = CaseSla()
    travelling.start_run(
        policy(OFFICE), Priority.HIGH, Tier.NEW, saturday, respond=True, on_trip=True
    )
    assert home.due(SlaClock.FIRST_RESPONSE) == local(6, 9, 5)
    assert travelling.due(SlaClock.FIRST_RESPONSE) == saturday + timedelta(minutes=5)


def test_a_timer_is_owed_only_for_its_own_run_and_once_its_moment_has_come() -> None:
    sla = opened_sla()
    generation = sla.clocks[SlaClock.FIRST_RESPONSE].generation
    due = T + timedelta(minutes=5)
    breach = (SlaClock.FIRST_RESPONSE, TimerKind.BREACH)
    assert not sla.pending(*breach, generation, due - timedelta(milliseconds=1))
    assert sla.pending(*breach, generation, due)
    assert not sla.pending(*breach, generation + 100, due)
    sla.clocks[SlaClock.FIRST_RESPONSE].breached = True
    assert not sla.pending(*breach, generation, due)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"opens": time(18), "closes": time(9)}, "opens must be before closes"),
        ({"days": (1, 8)}, "less than or equal to 7"),
        ({"days": (1, 1)}, "ISO weekdays"),
        ({"days": ()}, "at least 1"),
    ],
)
def test_malformed_business_hours_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessHours.model_validate(fields)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((0, 60, 600), "greater than 0"),
        ((60, 900, 600), "next_response_s must not exceed resolution_s"),
        ((900, 60, 600), "first_response_s must not exceed resolution_s"),
    ],
)
def test_malformed_targets_are_refused(values: tuple[int, int, int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        targets(*values)


@pytest.mark.parametrize("share", [0.0, 1.0, 1.5])
def test_the_warning_share_lies_strictly_between_zero_and_one(share: float) -> None:
    with pytest.raises(ValidationError, match="warn_share"):
        PriorityTerms(targets=targets(60, 60, 600), warn_share=share)


def test_a_policy_covers_every_priority() -> None:
    with pytest.raises(ValidationError, match="terms missing for low"):
        SlaPolicy(priorities={p: DEFAULT_SLA.terms(p) for p in Priority if p is not Priority.LOW})
