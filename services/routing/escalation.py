"""Who a breached ticket goes to next: a senior agent of its queue, then the expert team,
then management (the tenant's support manager and account manager). Pure.

A rung with nobody free to take the ticket is skipped, so a breach always moves
the ticket on; the expert queue always takes it (a queue is a team, even when
no expert is free this minute). Past the top, a ticket stays with management
and every further breach tells them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contracts.events import EscalationLevel
from services.routing.domain import (
    EXPERT_QUEUE,
    GENERAL_QUEUE,
    Agent,
    Assignment,
    QueueDef,
    RoutingCase,
    RoutingPolicy,
    choose_agent,
)

LADDER = (
    EscalationLevel.SENIOR_AGENT,
    EscalationLevel.EXPERT_TEAM,
    EscalationLevel.MANAGEMENT,
)


@dataclass(frozen=True)
class Escalation:
    level: EscalationLevel
    queue: str
    assignment: Assignment
    account_manager: str | None = None
    support_manager: str | None = None


def next_rungs(current: EscalationLevel | None) -> tuple[EscalationLevel, ...]:
    """The rungs above ``current``; at the top, the top again."""
    if current is None:
        return LADDER
    above = LADDER[LADDER.index(current) + 1 :]
    return above or (EscalationLevel.MANAGEMENT,)


def escalate(
    case: RoutingCase,
    agents: Sequence[Agent],
    queues: Mapping[str, QueueDef],
    policy: RoutingPolicy,
    language: str | None,
) -> Escalation:
    """The next rung that can take the case, with whom."""
    others = [a for a in agents if not a.holds(case.id) and a.agent_id != case.assignee]
    category = case.triage.category if case.triage else None
    for level in next_rungs(case.escalation):
        if level is EscalationLevel.SENIOR_AGENT:
            queue = queues.get(case.queue or "", queues[GENERAL_QUEUE])
            senior = choose_agent(
                [a for a in others if a.senior],
                tenant_id=case.tenant_id,
                ticket_id=case.id,
                queue=queue,
                category=category,
                language=language,
            )
            if senior.assignee is not None:
                return Escalation(level, queue.id, _noted(senior, "senior agent"))
        elif level is EscalationLevel.EXPERT_TEAM:
            expert = choose_agent(
                others,
                tenant_id=case.tenant_id,
                ticket_id=case.id,
                queue=queues[EXPERT_QUEUE],
                category=category,
                language=language,
            )
            return Escalation(level, EXPERT_QUEUE, _noted(expert, "expert team"))
    manager = policy.support_manager or policy.account_manager
    if manager is not None:
        assignment = Assignment(manager, f"{manager}: management")
    else:
        assignment = Assignment(case.assignee, "no support or account manager named: kept")
    return Escalation(
        EscalationLevel.MANAGEMENT,
        case.queue or EXPERT_QUEUE,
        assignment,
        account_manager=policy.account_manager,
        support_manager=policy.support_manager,
    )


def _noted(assignment: Assignment, rung: str) -> Assignment:
    return Assignment(assignment.assignee, f"{rung}: {assignment.note}", assignment.agent)
