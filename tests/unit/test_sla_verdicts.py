"""SLA verdicts when nobody answered (docs/sla.md#verdicts): a close or merge of an unanswered
ticket is no response, and a resolution's message answers only the run it ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import SlaClock
from services.routing.api.cases import case_view
from services.routing.sla.domain import TimerKind
from tests.factories import T0, envelope
from tests.unit.test_sla_case import EN, SlaDesk


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    return desk


def verdicts(desk: SlaDesk) -> list[tuple[str, bool, str | None, int]]:
    return [
        (s["clock"], s["met"], s["verdict"], s["elapsed_seconds"])
        for s in desk.published("sla.stopped")
    ]


def resolved(desk: SlaDesk, first_response_minute: float) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="refunded",
        message="Refunded the duplicate payment",
        resolved_by="agent-1",
        opened_at=T0,
        first_response_at=T0 + timedelta(minutes=first_response_minute),
        resolved_at=desk.clock.now(),
        resolution_count=1,
    )


async def test_closing_an_unanswered_ticket_voids_its_clocks(desk: SlaDesk) -> None:
    await desk.open()
    desk.clock.advance(timedelta(seconds=20))
    await desk.status("closed", frm="assigned")

    assert verdicts(desk) == [
        ("first_response", False, "void", 20),
        ("resolution", False, "void", 20),
    ]
    case = await desk.case()
    assert (case.first_response_met, case.resolution_met) == (None, None)
    assert [(c.met, c.verdict) for c in case_view(case).clocks] == [(None, "void")] * 2
    assert desk.timers() == {}


async def test_a_close_after_the_deadline_passed_stays_a_miss(desk: SlaDesk) -> None:
    await desk.open()
    desk.clock.advance(timedelta(seconds=61))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    await desk.status("closed", frm="assigned", by="senior-1")

    assert [v[:3] for v in verdicts(desk)] == [
        ("first_response", False, "missed"),
        ("resolution", False, "void"),
    ]


async def test_closing_an_answered_ticket_is_its_resolution_and_voids_an_unanswered_follow_up(
    desk: SlaDesk,
) -> None:
    await desk.open()
    desk.clock.advance(timedelta(seconds=30))
    await desk.router.ticket_replied(envelope(desk.reply()))
    desk.clock.advance(timedelta(seconds=30))
    follow_up = events.TicketFollowedUp(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=EN,
        text="any news?",
        repeat_contacts=1,
        received_at=desk.clock.now(),
    )
    await desk.router.ticket_followed_up(envelope(follow_up))
    desk.clock.advance(timedelta(seconds=30))
    await desk.status("closed", frm="assigned")

    assert verdicts(desk) == [
        ("first_response", True, "met", 30),
        ("next_response", False, "void", 30),
        ("resolution", True, "met", 90),
    ]


async def test_resolving_a_reopened_ticket_unanswered_answers_it_at_the_resolution(
    desk: SlaDesk,
) -> None:
    await desk.open()
    desk.clock.advance(timedelta(seconds=30))
    await desk.router.ticket_replied(envelope(desk.reply()))
    desk.clock.advance(timedelta(minutes=2))
    await desk.router.ticket_resolved(envelope(resolved(desk, 0.5)))
    desk.clock.advance(timedelta(minutes=1))
    reopened = events.TicketReopened(
        ticket_id="TC-1",
        traveller=EN,
        reason="did not help",
        priority=events.Priority.HIGH,
        reopened_at=desk.clock.now(),
    )
    await desk.router.ticket_reopened(envelope(reopened))
    desk.clock.advance(timedelta(seconds=90))
    await desk.router.ticket_resolved(envelope(resolved(desk, 0.5)))  # no reply since the reopen

    second_run = verdicts(desk)[2:]
    assert second_run == [
        ("first_response", False, "missed", 90),  # the resolution message, 90 s after the reopen
        ("resolution", True, "met", 90),
    ]
