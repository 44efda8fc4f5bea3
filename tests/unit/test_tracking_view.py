"""The tracking link's JSON carries only what a traveller may see (the page shows the same)."""

from __future__ import annotations

from datetime import timedelta

import orjson

from contracts import events
from contracts.events import EscalationLevel, Priority, SlaClock
from services.intake.domain import Ticket, TicketStatus
from services.intake.pages.tracking_view import WORDS, tracking_view
from tests.factories import T0, TRAVELLER
from tests.unit.test_ticket import opened_ticket


def a_worked_ticket() -> Ticket:
    ticket = opened_ticket()
    ticket.apply_routing(
        events.TicketRouted(
            ticket_id=ticket.id,
            traveller=TRAVELLER,
            queue="disruption",
            assignee="agent-7",
            priority=Priority.HIGH,
            first_response_due=T0 + timedelta(minutes=15),
            resolution_due=T0 + timedelta(hours=4),
            reason="no qualified agent available; agent-9 at load 5/5",
            routed_at=T0 + timedelta(minutes=1),
        )
    )
    ticket.note(text="VIP, handle with care", agent="agent-7", now=T0 + timedelta(minutes=2))
    ticket.escalate_on_breach(
        events.SlaBreached(
            ticket_id=ticket.id,
            clock=SlaClock.FIRST_RESPONSE,
            priority=Priority.CRITICAL,
            previous_priority=Priority.HIGH,
            queue="expert",
            assignee="agent-3",
            previous_assignee="agent-7",
            level=EscalationLevel.EXPERT_TEAM,
            deadline=T0 + timedelta(minutes=15),
            breached_at=T0 + timedelta(minutes=16),
        )
    )
    ticket.reply(message="已为您改签至CA1503", agent="agent-3", now=T0 + timedelta(minutes=20))
    return ticket


def test_the_json_shows_status_team_eta_steps_and_the_words_sent_only() -> None:
    ticket = a_worked_ticket()

    view = tracking_view(ticket, "en")
    shown = orjson.dumps(view.model_dump(mode="json")).decode()

    assert (view.status, view.handled_by, view.agent_assigned) == (
        TicketStatus.ASSIGNED,
        WORDS("en")["an_agent"],
        True,
    )
    assert [step.kind for step in view.timeline] == [
        "received",
        "acknowledged",
        "routed",
        "replied",
    ]
    assert [step.message for step in view.timeline if step.message] == ["已为您改签至CA1503"]
    for internal in ("agent-3", "agent-7", "agent-9", "no qualified", "VIP", "breach", "load"):
        assert internal not in shown, internal


def test_no_answer_is_expected_once_the_ticket_is_answered() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="rebooked", message="done", agent="agent-7", now=T0 + timedelta(hours=1))

    view = tracking_view(ticket, "en")

    assert (view.expected_answer_by, view.can_say_not_helped) == (None, True)


def test_a_merged_duplicate_tells_its_traveller_where_the_request_continues() -> None:
    """Without the step, the duplicate read "closed" with no reason; the surviving ticket's
    "absorbed" step (perhaps another traveller's ticket id) stays inside."""
    duplicate = opened_ticket()
    survivor = opened_ticket(channel_message_id="app-msg-2", conversation_key="second")
    duplicate.merge_into(survivor, by="agent-7", now=T0 + timedelta(minutes=3))
    survivor.absorb(duplicate, by="agent-7", now=T0 + timedelta(minutes=3))

    (step,) = [s for s in tracking_view(duplicate, "zh-Hans").timeline if s.kind == "merged"]
    assert step.summary == f"已并入工单 {survivor.id}，我们将在该工单继续处理"
    english = tracking_view(duplicate, "en").timeline[-1]
    assert english.summary == f"Joined with your request {survivor.id}: we continue there"
    assert [s.kind for s in tracking_view(survivor, "en").timeline].count("merged") == 0
