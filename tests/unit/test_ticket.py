"""The ticket state machine and timeline (intake's domain)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority
from services.intake.domain import IllegalTransition, Ticket, TicketStatus, ticket_id_for
from tests.factories import T0, TRAVELLER, contact


def opened_ticket() -> Ticket:
    return Ticket.open("acme", contact(), tracking_url="https://t/x", now=T0)


def routed(ticket: Ticket, at_minutes: int = 1, assignee: str | None = None) -> events.TicketRouted:
    return events.TicketRouted(
        ticket_id=ticket.id,
        traveller=TRAVELLER,
        queue="general",
        assignee=assignee,
        priority=Priority.HIGH,
        first_response_due=T0 + timedelta(minutes=15),
        resolution_due=T0 + timedelta(hours=4),
        reason="default policy",
        routed_at=T0 + timedelta(minutes=at_minutes),
    )


def test_a_new_ticket_is_acknowledged_at_once_and_announces_both_steps() -> None:
    ticket = opened_ticket()

    assert ticket.status is TicketStatus.ACKNOWLEDGED
    assert ticket.acknowledged_at == T0
    raised = ticket.take_events()
    assert [type(e) for e in raised] == [events.TicketOpened, events.TicketAcknowledged]
    assert [e.kind for e in ticket.timeline] == ["received", "acknowledged"]


def test_the_same_channel_message_always_maps_to_the_same_ticket_id() -> None:
    first = ticket_id_for("acme", events.Channel.EMAIL, "<m1@x>")
    assert first == ticket_id_for("acme", events.Channel.EMAIL, "<m1@x>")
    assert first != ticket_id_for("globex", events.Channel.EMAIL, "<m1@x>")
    assert first != ticket_id_for("acme", events.Channel.WECHAT, "<m1@x>")


def test_routing_sets_queue_deadlines_and_status() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket))

    assert ticket.status is TicketStatus.ROUTED
    assert ticket.queue == "general"
    assert ticket.priority is Priority.HIGH
    assert ticket.first_response_due == T0 + timedelta(minutes=15)
    assert ticket.timeline[-1].kind == "routed"


def test_routing_to_a_named_agent_assigns_the_ticket() -> None:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket, assignee="agent-7"))
    assert ticket.status is TicketStatus.ASSIGNED


def test_resolving_records_first_response_and_raises_resolved() -> None:
    ticket = opened_ticket()
    ticket.take_events()
    ticket.resolve(
        code="rebooked",
        message="Rebooked on CA1503",
        agent="agent-7",
        now=T0 + timedelta(minutes=9),
    )

    assert ticket.status is TicketStatus.RESOLVED
    assert ticket.first_response_at == T0 + timedelta(minutes=9)
    (resolved,) = ticket.take_events()
    assert isinstance(resolved, events.TicketResolved)
    assert resolved.resolution_count == 1
    assert resolved.opened_at == T0


def test_resolving_twice_is_an_illegal_transition_and_changes_nothing() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="answered", message="done", agent="a", now=T0)
    before = ticket.model_copy(deep=True)

    with pytest.raises(IllegalTransition):
        ticket.resolve(code="answered", message="again", agent="a", now=T0)

    assert ticket.timeline == before.timeline
    assert ticket.resolution_count == 1


def test_a_late_routing_decision_does_not_reopen_a_resolved_ticket() -> None:
    ticket = opened_ticket()
    ticket.resolve(code="answered", message="done", agent="a", now=T0)
    ticket.apply_routing(routed(ticket))

    assert ticket.status is TicketStatus.RESOLVED
    assert "routed" in [e.kind for e in ticket.timeline]


def test_the_timeline_stays_in_time_order_whatever_order_events_arrive_in() -> None:
    ticket = opened_ticket()
    ticket.record_feedback(
        events.FeedbackReceived(
            survey_id="s", ticket_id=ticket.id, csat=5, received_at=T0 + timedelta(hours=1)
        )
    )
    ticket.apply_routing(routed(ticket, at_minutes=1))

    times = [entry.at for entry in ticket.timeline]
    assert times == sorted(times)
    assert ticket.timeline[-1].summary == "Traveller rated: CSAT 5"
