"""The SLA events a case raises when a clock warns or breaches, with what the case holds
at that moment. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from contracts import events
from contracts.events import Priority
from services.routing.assignment.domain.escalation import Escalation
from services.routing.domain.route import business_zone
from services.routing.sla.domain import ClockRun

if TYPE_CHECKING:
    from services.routing.domain.case import RoutingCase


def warning(case: RoutingCase, run: ClockRun, now: datetime) -> events.SlaWarning:
    """``sla.warning``: the clock used its warning share; whoever holds the ticket hears."""
    assert run.deadline is not None
    return events.SlaWarning(
        ticket_id=case.id,
        clock=run.clock,
        priority=case.priority,
        category=case.triage.category if case.triage else None,
        queue=case.queue,
        assignee=case.assignee,
        deadline=run.deadline,
        target_seconds=run.target_s,
        warned_at=now,
        time_zone=business_zone(case, run.ran_under(case.priority)),
    )


def breached(
    case: RoutingCase,
    run: ClockRun,
    step: Escalation,
    before: tuple[Priority, str | None],
    now: datetime,
) -> events.SlaBreached:
    """``sla.breached``: the case already escalated by ``step``; ``before`` is the priority
    and assignee it had. The clock missed the targets of the priority it ran under, which an
    earlier breach left below the case's (``clock_priority``).

    The tenant's managers are named at the management level (the step's), and also when the
    breach made the ticket critical (the policy's, as ``ticket.routed`` names them): the
    breach notice is their one alert of it, the escalation's ``ticket.routed`` alerts nobody.
    """
    assert run.deadline is not None
    previous_priority, previous_assignee = before
    made_critical = case.priority is Priority.CRITICAL and previous_priority is not case.priority
    account, support = case.managers if made_critical else (None, None)
    return events.SlaBreached(
        ticket_id=case.id,
        clock=run.clock,
        priority=case.priority,
        previous_priority=previous_priority,
        clock_priority=run.ran_under(previous_priority),
        category=case.triage.category if case.triage else None,
        queue=case.queue,
        assignee=case.assignee,
        previous_assignee=previous_assignee,
        level=step.level,
        account_manager=step.account_manager or account,
        support_manager=step.support_manager or support,
        manager=step.manager,
        deadline=run.deadline,
        breached_at=now,
        carried_from=run.carried_from,
        time_zone=business_zone(case, run.ran_under(previous_priority)),
    )
