"""A merged duplicate in the SLA figures: a breach or a late answer on it stays counted, while
what the merge itself stopped, and its ticket numbers, are left to the ticket it joined."""

from __future__ import annotations

from contracts.events import CarriedClock
from tests.feedback_story import EXPERT, FR, HIGH, NR, RES, Desk, traveller
from tests.unit.test_feedback_metrics import metrics_of

DAY = 24 * 60


def survivor() -> Desk:
    """S, answered and resolved within its targets: on its own, 100 % attainment."""
    desk = Desk()
    a = traveller("A")
    desk.opened("TS", 0, a)
    desk.replied("TS", 10)
    desk.resolved("TS", 60, first=10)
    desk.clock_stopped("TS", FR, 0, 10, target=30)
    desk.clock_stopped("TS", RES, 0, 60, target=DAY)
    desk.opened("TD", 5, a)
    return desk


def test_a_duplicate_answered_late_then_merged_keeps_its_breaches_and_its_missed_clock() -> None:
    desk = survivor()
    desk.breached("TD", FR, 35)
    desk.breached("TD", FR, 65, level=EXPERT, previous=HIGH, deadline=35)
    desk.replied("TD", 95)
    desk.clock_stopped("TD", FR, 5, 95, target=30)  # answered late: missed
    desk.merged("TD", "TS", 120)
    desk.clock_stopped("TD", RES, 5, 120, target=DAY)  # ended by the merge: no resolution
    metrics = metrics_of(desk)

    assert (metrics.tickets, metrics.merged) == (1, 1), "the duplicate is still no ticket"
    assert metrics.sla.attainment.model_dump() == {"part": 2, "of": 3, "rate": 0.6667}
    assert metrics.sla.first_response.model_dump() == {"part": 1, "of": 2, "rate": 0.5}
    assert metrics.sla.resolution.model_dump() == {"part": 1, "of": 1, "rate": 1.0}
    assert (metrics.sla.breaches, metrics.sla.breached_tickets) == (2, 1)


def test_a_duplicate_merged_past_its_deadline_unanswered_counts_the_miss() -> None:
    """A close cannot hide a late answer (routing keeps the clock missed), nor can a merge."""
    desk = survivor()
    desk.breached("TD", FR, 35)
    desk.merged("TD", "TS", 50)
    desk.clock_stopped("TD", FR, 5, 50, target=30)
    desk.clock_stopped("TD", RES, 5, 50, target=DAY, void=True)
    sla = metrics_of(desk).sla

    assert sla.attainment.model_dump() == {"part": 2, "of": 3, "rate": 0.6667}
    assert (sla.breaches, sla.void) == (1, 0)


def test_a_duplicate_merged_unanswered_within_its_target_counts_nothing() -> None:
    """Its message waits on the survivor (routing carries the clock there): no verdict here."""
    desk = survivor()
    desk.merged("TD", "TS", 20)
    desk.clock_stopped("TD", FR, 5, 20, target=30, void=True)
    desk.clock_stopped("TD", RES, 5, 20, target=DAY, void=True)
    sla = metrics_of(desk).sla

    assert sla.attainment.model_dump() == {"part": 2, "of": 2, "rate": 1.0}
    assert (sla.breaches, sla.void) == (0, 0)


def test_a_duplicates_answer_on_time_counts_but_the_merge_is_not_its_resolution() -> None:
    desk = survivor()
    desk.replied("TD", 15)
    desk.clock_stopped("TD", FR, 5, 15, target=30)
    desk.merged("TD", "TS", 40)
    desk.clock_stopped("TD", RES, 5, 40, target=DAY)
    sla = metrics_of(desk).sla

    assert sla.first_response.model_dump() == {"part": 2, "of": 2, "rate": 1.0}
    assert sla.resolution.model_dump() == {"part": 1, "of": 1, "rate": 1.0}


def test_a_merged_duplicates_rating_counts_once_as_its_own_resolutions_verdict() -> None:
    """The traveller rated the duplicate's resolution (before or after the merge) and the
    survivor's: two verdicts on two resolutions, each counted once; one ticket."""
    desk = survivor()
    desk.resolved("TD", 30, first=30)
    desk.merged("TD", "TS", 40)
    desk.rated("TD", 1, 100, csat=2)
    desk.rated("TD", 1, 100, csat=2)  # redelivered
    desk.rated("TS", 1, 110, csat=5)
    metrics = metrics_of(desk)

    assert metrics.csat.model_dump() == {"count": 2, "avg": 3.5, "satisfied_share": 0.5}
    assert (metrics.tickets, metrics.resolved, metrics.merged) == (1, 1, 1)


def test_a_wait_that_breached_on_the_duplicate_and_was_answered_late_counts_one_miss() -> None:
    """Routing carried TD's breached first response to TS, where it was answered late: one
    wait, so one miss, TD's own at the merge; the carried clock's stop says it is that wait."""
    desk = survivor()
    desk.breached("TD", FR, 35)
    desk.merged("TD", "TS", 40)
    desk.clock_stopped("TD", FR, 5, 40, target=30)
    desk.clock_stopped("TD", RES, 5, 40, target=DAY, void=True)
    carried = CarriedClock(ticket_id="TD", clock=FR, missed=True)
    desk.clock_stopped("TS", NR, 5, 55, target=30, carried_from=carried)
    sla = metrics_of(desk).sla

    assert sla.first_response.model_dump() == {"part": 1, "of": 2, "rate": 0.5}
    assert sla.next_response.model_dump() == {"part": 0, "of": 0, "rate": None}
    assert sla.attainment.model_dump() == {"part": 2, "of": 3, "rate": 0.6667}
    assert (sla.breaches, sla.breached_tickets, sla.void) == (1, 1, 0)


def test_a_wait_carried_within_its_target_is_judged_on_the_ticket_it_joined() -> None:
    """The merge's stop on TD is void (no verdict there), so the carried clock is the wait's
    one verdict, missed here when TS answered it late."""
    desk = survivor()
    desk.merged("TD", "TS", 20)
    desk.clock_stopped("TD", FR, 5, 20, target=30, void=True)
    desk.clock_stopped("TD", RES, 5, 20, target=DAY, void=True)
    desk.breached("TS", NR, 35)
    carried = CarriedClock(ticket_id="TD", clock=FR, missed=False)
    desk.clock_stopped("TS", NR, 5, 50, target=30, carried_from=carried)
    sla = metrics_of(desk).sla

    assert sla.first_response.model_dump() == {"part": 1, "of": 1, "rate": 1.0}
    assert sla.next_response.model_dump() == {"part": 0, "of": 1, "rate": 0.0}
    assert (sla.breaches, sla.breached_tickets, sla.void) == (1, 1, 0)
