"""Routing's SLA warnings and breaches on intake's ticket: timeline, priority, escalation (#7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.events import EscalationLevel, Priority, SlaClock
from runtime.clock import FakeClock
from runtime.signing import Signer
from services.intake.domain import Ticket, TicketStatus
from services.intake.domain.sla import due_text
from services.intake.pages.tracking_view import tracking_view
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.intake.subscribers import register as register_subscribers
from tests.factories import T0
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import body, make_bus, repository
from tests.unit.test_ticket import kinds, opened_ticket, routed


def warning(ticket: Ticket, minutes: float = 12) -> events.SlaWarning:
    return events.SlaWarning(
        ticket_id=ticket.id,
        clock=SlaClock.FIRST_RESPONSE,
        priority=Priority.HIGH,
        queue="general",
        deadline=T0 + timedelta(minutes=16),
        target_seconds=15 * 60,
        warned_at=T0 + timedelta(minutes=minutes),
    )


def breach(
    ticket: Ticket,
    minutes: float = 16,
    *,
    priority: Priority = Priority.CRITICAL,
    queue: str | None = "expert",
    assignee: str | None = None,
) -> events.SlaBreached:
    return events.SlaBreached(
        ticket_id=ticket.id,
        clock=SlaClock.FIRST_RESPONSE,
        priority=priority,
        previous_priority=Priority.HIGH,
        queue=queue,
        assignee=assignee,
        level=EscalationLevel.EXPERT_TEAM,
        deadline=T0 + timedelta(minutes=16),
        breached_at=T0 + timedelta(minutes=minutes),
    )


def routed_ticket() -> Ticket:
    ticket = opened_ticket()
    ticket.apply_routing(routed(ticket))
    ticket.take_events()
    return ticket


def test_a_warning_goes_on_the_timeline_with_its_deadline_and_changes_nothing_else() -> None:
    ticket = routed_ticket()
    before = (ticket.status, ticket.priority, ticket.queue)

    ticket.record_sla_warning(warning(ticket))

    entry = ticket.timeline[-1]
    assert (entry.kind, entry.service, entry.at) == (
        "sla_warning",
        "routing",
        T0 + timedelta(minutes=12),
    )
    assert entry.summary == "First response SLA warning: due 02:16 UTC"
    assert entry.details["deadline"] == (T0 + timedelta(minutes=16)).isoformat()
    assert (ticket.status, ticket.priority, ticket.queue) == before
    assert ticket.take_events() == []


def test_a_deadline_on_another_day_shows_its_date() -> None:
    assert due_text(T0 + timedelta(days=1), T0) == "2026-11-26 02:00 UTC"


def test_a_breach_escalates_the_ticket_and_raises_its_priority() -> None:
    ticket = routed_ticket()

    ticket.escalate_on_breach(breach(ticket))

    assert (ticket.priority, ticket.queue, ticket.assignee) == (Priority.CRITICAL, "expert", None)
    assert ticket.status is TicketStatus.ROUTED
    assert ticket.timeline[-1].summary == (
        "First response SLA breached: escalated to the expert team (expert), "
        "priority raised to critical"
    )
    assert ticket.take_events() == [], "routing owns the escalation; intake only follows it"


def test_a_breach_naming_a_senior_agent_assigns_the_ticket() -> None:
    ticket = routed_ticket()
    ticket.escalate_on_breach(breach(ticket, queue=None, assignee="senior-1"))
    assert (ticket.queue, ticket.assignee, ticket.status) == (
        "general",
        "senior-1",
        TicketStatus.ASSIGNED,
    )


def test_a_breach_never_lowers_a_priority_raised_meanwhile() -> None:
    ticket = routed_ticket()
    ticket.priority = Priority.CRITICAL

    ticket.escalate_on_breach(breach(ticket, priority=Priority.HIGH))

    assert ticket.priority is Priority.CRITICAL


def test_a_routing_decision_older_than_the_escalation_does_not_undo_it() -> None:
    ticket = opened_ticket()
    ticket.escalate_on_breach(breach(ticket))

    ticket.apply_routing(routed(ticket, at_minutes=1))

    assert (ticket.priority, ticket.queue) == (Priority.CRITICAL, "expert")
    assert ticket.first_response_due == T0 + timedelta(minutes=15), "deadlines still recorded"
    assert kinds(ticket)[-2:] == ["routed", "sla_breached"], "the timeline stays in time order"

    ticket.apply_routing(routed(ticket, at_minutes=30))
    assert (ticket.priority, ticket.queue) == (Priority.HIGH, "general"), "a newer one applies"


def test_routings_re_publish_at_a_breach_is_an_escalation_step_not_a_second_routing() -> None:
    ticket = routed_ticket()
    ticket.escalate_on_breach(breach(ticket))
    escalation = routed(ticket, at_minutes=16).model_copy(
        update={"queue": "expert", "priority": Priority.CRITICAL, "rule": "sla-escalated"}
    )

    ticket.apply_routing(escalation)

    assert (ticket.queue, ticket.priority) == ("expert", Priority.CRITICAL)
    assert kinds(ticket).count("routed") == 1
    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (
        "escalated",
        "Escalated to expert (critical)",
    )
    tracked = tracking_view(ticket, "en").timeline
    assert [step.kind for step in tracked].count("routed") == 1, "the traveller sees it once"


def test_a_category_set_within_the_same_queue_is_a_desk_step_not_a_second_routing() -> None:
    ticket = routed_ticket()
    in_place = routed(ticket, at_minutes=40).model_copy(
        update={"category": "invoice", "rule": "recategorised-in-place"}
    )

    ticket.apply_routing(in_place)

    assert (ticket.queue, ticket.category) == ("general", "invoice")
    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (
        "recategorised",
        "Category set to invoice, stays in general",
    )
    tracked = tracking_view(ticket, "en").timeline
    assert [step.kind for step in tracked].count("routed") == 1, "the traveller sees it once"


@pytest.mark.parametrize(
    ("rule", "kind", "summary", "holder"),
    [
        ("dispatched", "assigned", "Assigned to agent-9 in general (high)", "agent-9"),
        ("urgency-raised", "priority_raised", "Priority raised to high in general", None),
    ],
)
def test_a_push_to_an_agent_or_a_raised_priority_is_a_desk_step_not_a_second_routing(
    rule: str, kind: str, summary: str, holder: str | None
) -> None:
    """The traveller's page read "Passed to the General desk" twice when a waiting ticket
    was pushed to an agent who came online (or a repeat contact raised it), though
    nothing moved and notify told them nothing. A push assigns the ticket; a raise keeps
    intake's holder whatever agent routing's case named (see the test below)."""
    ticket = routed_ticket()
    again = routed(ticket, at_minutes=40, assignee="agent-9").model_copy(update={"rule": rule})

    ticket.apply_routing(again)

    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (kind, summary)
    assert ticket.assignee == holder
    tracked = tracking_view(ticket, "en").timeline
    assert [step.kind for step in tracked].count("routed") == 1, "the traveller sees it once"


@pytest.mark.parametrize("decided_minutes", [20, 40], ids=["before-claim", "after-claim"])
@pytest.mark.parametrize(
    ("queue", "agent"), [("general", "agent-7"), ("finance", None)], ids=["claim", "transfer"]
)
def test_a_raise_keeps_the_queue_and_holder_a_claim_or_transfer_gave_the_ticket(
    decided_minutes: int, queue: str, agent: str | None
) -> None:
    """An agent claimed the ticket (or moved it to finance) while routing raised it for a
    repeat contact or a worse disruption revision; the raise named routing's older view (no
    agent, general) and intake unassigned the agent. Routing hears of the transfer on its
    own queue, maybe after it raised (so later than the claim too): a raise moves nothing."""
    ticket = routed_ticket()
    claimed_at = T0 + timedelta(minutes=30)
    ticket.transfer(queue=queue, assignee=agent, reason=None, by="agent-7", now=claimed_at)
    raised = routed(ticket, at_minutes=decided_minutes).model_copy(
        update={
            "rule": "urgency-raised",
            "priority": Priority.CRITICAL,
            "first_response_due": T0 + timedelta(minutes=5),
            "resolution_due": T0 + timedelta(hours=2),
        }
    )

    ticket.apply_routing(raised)

    assert (ticket.queue, ticket.assignee) == (queue, agent)
    assert ticket.status is (TicketStatus.ASSIGNED if agent else TicketStatus.ROUTED)
    assert ticket.priority is Priority.CRITICAL
    assert ticket.resolution_due == T0 + timedelta(hours=2)
    assert "priority_raised" in kinds(ticket)


def test_deadlines_a_wait_moved_reach_the_console_and_tracking_page_and_nothing_else() -> None:
    """The ticket kept the resolution deadline from before the wait: its console clock went
    red and the traveller's page promised an answer by a time routing no longer held."""
    ticket = routed_ticket()
    ticket.transfer(queue="finance", assignee=None, reason=None, by="agent-7", now=T0)
    moved = routed(ticket, at_minutes=200).model_copy(
        update={
            "rule": "sla-resumed",
            "resolution_due": T0 + timedelta(hours=7),
            "priority": Priority.NORMAL,
        }
    )

    ticket.apply_routing(moved)

    assert ticket.resolution_due == T0 + timedelta(hours=7)
    assert (ticket.queue, ticket.priority) == ("finance", Priority.HIGH), "only the deadlines"
    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (
        "sla_resumed",
        "SLA clocks resumed: resolution due 09:00 UTC",
    )
    tracked = tracking_view(ticket, "en")
    assert "sla_resumed" not in [step.kind for step in tracked.timeline], "desk-only"
    assert [step.kind for step in tracked.timeline].count("routed") == 1


def test_the_category_a_transfer_set_reaches_the_ticket_and_nothing_else_moves() -> None:
    """A transfer to another family set routing's category; the ticket kept the classifier's."""
    ticket = routed_ticket()
    ticket.transfer(queue="finance", assignee=None, reason=None, by="agent-7", now=T0)
    ticket.transfer(queue="finance", assignee="fin-2", reason=None, by="agent-7", now=T0)
    category_set = routed(ticket, at_minutes=20).model_copy(
        update={
            "rule": "transferred",
            "queue": "finance",
            "category": "reimbursement",
            "priority": Priority.NORMAL,
            "resolution_due": T0 + timedelta(hours=9),
        }
    )

    ticket.apply_routing(category_set)

    assert ticket.category == "reimbursement"
    assert (ticket.queue, ticket.assignee, ticket.priority) == ("finance", "fin-2", Priority.HIGH)
    assert ticket.resolution_due == T0 + timedelta(hours=4)
    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (
        "recategorised",
        "Category set to reimbursement by the transfer to finance",
    )
    tracked = tracking_view(ticket, "en")
    assert [step.kind for step in tracked.timeline].count("routed") == 1, "desk-only"


def test_an_older_breach_or_one_after_resolution_is_only_logged() -> None:
    ticket = routed_ticket()
    ticket.escalate_on_breach(breach(ticket, 40, queue="management", priority=Priority.CRITICAL))
    ticket.escalate_on_breach(breach(ticket, 16, queue="expert", priority=Priority.HIGH))
    assert ticket.queue == "management"

    ticket.resolve(code="rebooked", message="done", agent="a", now=T0 + timedelta(minutes=50))
    ticket.escalate_on_breach(breach(ticket, 45, queue="expert"))

    assert (ticket.status, ticket.queue) == (TicketStatus.RESOLVED, "management")
    assert kinds(ticket).count("sla_breached") == 3


def test_a_closed_ticket_stays_where_it_was_whatever_routing_decides_late() -> None:
    ticket = routed_ticket()
    ticket.close(by="agent-7", now=T0 + timedelta(minutes=2))
    ticket.take_events()
    before = (ticket.status, ticket.priority, ticket.queue, ticket.assignee)

    ticket.apply_routing(routed(ticket, at_minutes=3, assignee="agent-9"))
    ticket.escalate_on_breach(breach(ticket, 18, queue="expert", priority=Priority.CRITICAL))
    escalation = routed(ticket, at_minutes=18).model_copy(
        update={"queue": "expert", "priority": Priority.CRITICAL, "rule": "sla-escalated"}
    )
    ticket.apply_routing(escalation)

    assert (ticket.status, ticket.priority, ticket.queue, ticket.assignee) == before
    assert kinds(ticket)[-4:] == ["status", "routing_ignored", "sla_breached", "routing_ignored"]
    assert ticket.timeline[-1].summary == "Routing to expert (critical) ignored: closed"
    assert ticket.take_events() == []


async def test_sla_events_on_the_bus_reach_the_timeline_once_however_often_delivered() -> None:
    bus, outbox = make_bus("intake"), RecordingOutbox()
    tickets = repository(Ticket, outbox)
    register_subscribers(
        bus, Intake(TicketStore(tickets), FakeClock(T0), Signer("s" * 32), "http://intake")
    )
    ticket = routed_ticket()
    await tickets.add(ticket)

    async with TestRabbitBroker(bus.broker) as broker:
        for message_id, payload in (
            ("w-1", warning(ticket)),
            ("w-1", warning(ticket)),
            ("b-1", breach(ticket)),
            ("b-1", breach(ticket)),
        ):
            await broker.publish(
                body(payload, message_id),
                exchange=bus.events_exchange,
                routing_key=payload.schema_name,
            )

    stored = await tickets.get("acme", ticket.id)
    assert stored is not None
    assert kinds(stored).count("sla_warning") == 1
    assert kinds(stored).count("sla_breached") == 1
    assert (stored.priority, stored.queue) == (Priority.CRITICAL, "expert")
    assert outbox.routing_keys == []


def dispatched(ticket: Ticket, queue: str, assignee: str, at_minutes: int) -> events.TicketRouted:
    """Push assignment handing the case waiting in ``queue`` to ``assignee``."""
    return routed(ticket, at_minutes=at_minutes).model_copy(
        update={"rule": "dispatched", "queue": queue, "assignee": assignee}
    )


def test_a_push_decided_before_a_later_transfer_leaves_the_transfers_placement() -> None:
    """Seen live: a transfer to accounts, then within a second to agent-chen in finance;
    routing had already pushed the ticket waiting in accounts to exp-wu, and that
    ``dispatched`` decision, arriving after the second transfer, put intake's ticket with
    exp-wu in accounts for good while routing's case (which then took the transfer) said
    agent-chen in finance. The same happens when an agent claims a waiting ticket (a
    transfer to themselves) while push assignment hands it to someone else."""
    ticket = routed_ticket()
    ticket.transfer(queue="accounts", assignee=None, reason=None, by="lead", now=T0)
    ticket.transfer(queue="finance", assignee="agent-chen", reason=None, by="lead", now=T0)

    ticket.apply_routing(dispatched(ticket, "accounts", "exp-wu", at_minutes=20))

    assert (ticket.queue, ticket.assignee) == ("finance", "agent-chen")
    assert ticket.status is TicketStatus.ASSIGNED
    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (
        "routing_ignored",
        "Assignment to exp-wu in accounts ignored: the ticket moved to agent-chen in finance since",
    )
    assert "routing_ignored" not in [step.kind for step in tracking_view(ticket, "en").timeline]


def test_a_push_decided_before_a_transfer_to_another_queue_leaves_it_waiting_there() -> None:
    ticket = routed_ticket()
    ticket.transfer(queue="accounts", assignee=None, reason=None, by="lead", now=T0)
    ticket.transfer(queue="finance", assignee=None, reason=None, by="lead", now=T0)

    ticket.apply_routing(dispatched(ticket, "accounts", "exp-wu", at_minutes=20))

    assert (ticket.queue, ticket.assignee, ticket.status) == ("finance", None, TicketStatus.ROUTED)


def test_a_push_of_the_ticket_waiting_in_its_queue_assigns_it() -> None:
    ticket = routed_ticket()
    ticket.transfer(queue="accounts", assignee=None, reason=None, by="lead", now=T0)

    ticket.apply_routing(dispatched(ticket, "accounts", "exp-wu", at_minutes=20))

    assert (ticket.queue, ticket.assignee) == ("accounts", "exp-wu")
    assert (ticket.timeline[-1].kind, ticket.timeline[-1].summary) == (
        "assigned",
        "Assigned to exp-wu in accounts (high)",
    )
