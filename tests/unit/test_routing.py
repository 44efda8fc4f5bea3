"""Routing case files: default policy deadlines, out-of-order events, reopen."""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.events import Priority
from services.routing.domain import DEFAULT_POLICY, CaseStatus, RoutingCase
from tests.factories import T0, TRAVELLER


def opened(priority: Priority = Priority.NORMAL) -> events.TicketOpened:
    return events.TicketOpened(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        text="hi",
        priority=priority,
        opened_at=T0,
    )


def resolved(at: timedelta, first_response: timedelta) -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        resolution_code="answered",
        message="done",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0 + first_response,
        resolved_at=T0 + at,
        resolution_count=1,
    )


def test_an_opened_ticket_is_routed_with_deadlines_counted_from_when_it_opened() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.open(opened(Priority.HIGH), now=T0 + timedelta(seconds=3))

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert decision.queue == "general"
    assert decision.first_response_due == T0 + DEFAULT_POLICY[Priority.HIGH].first_response
    assert decision.resolution_due == T0 + DEFAULT_POLICY[Priority.HIGH].resolution
    assert decision.routed_at == T0 + timedelta(seconds=3)


def test_resolution_scores_both_sla_clocks() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.open(opened(), now=T0)
    case.resolve(resolved(at=timedelta(hours=30), first_response=timedelta(minutes=10)))

    assert case.status is CaseStatus.RESOLVED
    assert case.first_response_met is True
    assert case.resolution_met is False


def test_a_ticket_resolved_before_routing_heard_it_opened_is_not_routed() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.resolve(resolved(at=timedelta(minutes=2), first_response=timedelta(minutes=2)))
    case.open(opened(), now=T0 + timedelta(minutes=3))

    assert case.take_events() == []
    assert case.status is CaseStatus.RESOLVED


def test_a_reopened_ticket_gets_raised_priority_and_fresh_targets() -> None:
    case = RoutingCase.blank("acme", "TC-1")
    case.open(opened(Priority.NORMAL), now=T0)
    case.resolve(resolved(at=timedelta(hours=1), first_response=timedelta(minutes=5)))
    case.take_events()
    reopened_at = T0 + timedelta(days=1)
    case.reopen(
        events.TicketReopened(
            ticket_id="TC-1",
            traveller=TRAVELLER,
            reason="appeal",
            priority=Priority.NORMAL,
            reopened_at=reopened_at,
        ),
        now=reopened_at,
    )

    (decision,) = case.take_events()
    assert isinstance(decision, events.TicketRouted)
    assert decision.priority is Priority.HIGH
    assert decision.first_response_due == reopened_at + DEFAULT_POLICY[Priority.HIGH].first_response
    assert case.status is CaseStatus.OPEN
