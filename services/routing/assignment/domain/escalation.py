"""Who a breached ticket goes to next: a senior agent of its queue, then the expert team,
then management (the tenant's support manager and account manager; for an appeal, the
support manager and their deputy). Pure.

A breach never leaves a ticket with nobody (issue #18). A rung either hands the
ticket over to a named person who is free to take it, or — when nobody else is
free — the owner keeps it and the rung watches: the expert rung moves it to the
expert queue with its owner, the management rung tells management. Only a ticket
nobody held goes to a manager by name (else to whoever is online, beyond
capacity). The owner's slot is freed only when someone else takes over, or when the
ticket goes back to its queue. Only people online are handed a breached ticket: an
owner who is a registered agent away or offline holds it as nobody does, a manager
registered away or offline is passed over, and with nobody online it waits in its queue
for push assignment, the reason stated (a holder or manager not registered as an agent
has no known presence and is taken as before).
Everyone told of a breach is named on the event: the holder, the previous
holder, and the holder's manager (their team lead, else the support manager).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts.events import EscalationLevel
from services.routing.assignment.domain.agents import Agent, Assignment, Presence, choose_agent
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import EXPERT_QUEUE, QueueDef, standing_queue
from services.routing.domain.triage_view import TriageView

LADDER = (
    EscalationLevel.SENIOR_AGENT,
    EscalationLevel.EXPERT_TEAM,
    EscalationLevel.MANAGEMENT,
)


class Breached(Protocol):
    """What the ladder reads of a breached case (``domain.case.RoutingCase``): a protocol, so
    the case file may name an ``Escalation`` without this module importing the case."""

    id: str
    tenant_id: str
    assignee: str | None
    queue: str | None
    escalation: EscalationLevel | None
    triage: TriageView | None

    @property
    def appealed_resolver(self) -> str | None:
        """Who made the resolution an appeal reviews: passed over on every rung."""


@dataclass(frozen=True)
class Escalation:
    level: EscalationLevel
    queue: str
    assignment: Assignment
    account_manager: str | None = None
    support_manager: str | None = None
    manager: str | None = None
    """The holder's manager, told of the breach: their team lead, else the support manager."""


def next_rungs(current: EscalationLevel | None) -> tuple[EscalationLevel, ...]:
    """The rungs above ``current``; at the top, the top again."""
    if current is None:
        return LADDER
    above = LADDER[LADDER.index(current) + 1 :]
    return above or (EscalationLevel.MANAGEMENT,)


def escalate(
    case: Breached,
    agents: Sequence[Agent],
    queues: Mapping[str, QueueDef],
    policy: RoutingPolicy,
    language: str | None,
) -> Escalation:
    """The next rung that can take the case, with whom (never nobody while anyone is there)."""
    step = _climb(case, agents, queues, policy, language)
    holder = next((a for a in agents if a.agent_id == step.assignment.assignee), None)
    manager = (holder.manager if holder else None) or policy.support_manager
    if manager == step.assignment.assignee:
        manager = None
    return Escalation(
        step.level,
        step.queue,
        step.assignment,
        account_manager=step.account_manager,
        support_manager=step.support_manager,
        manager=manager,
    )


def _climb(
    case: Breached,
    agents: Sequence[Agent],
    queues: Mapping[str, QueueDef],
    policy: RoutingPolicy,
    language: str | None,
) -> Escalation:
    owner, absent = _working_owner(case, agents)
    barred = (case.assignee, case.appealed_resolver)
    others = [a for a in agents if not a.holds(case.id) and a.agent_id not in barred]
    category = case.triage.category if case.triage else None
    for level in next_rungs(case.escalation):
        if level is EscalationLevel.SENIOR_AGENT:
            queue = standing_queue(case.queue, category, queues)
            senior = choose_agent(
                [a for a in others if a.senior],
                tenant_id=case.tenant_id,
                ticket_id=case.id,
                queue=queue,
                category=category,
                language=language,
                mode=policy.assignment,
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
                mode=policy.assignment,
            )
            if expert.assignee is not None:
                return Escalation(level, EXPERT_QUEUE, _noted(expert, "expert team"))
            if owner is not None:
                kept = Assignment(owner, f"expert team: no other expert free; {owner} keeps it")
                return Escalation(level, EXPERT_QUEUE, kept)
    return _management(case, agents, policy, language, owner, absent)


def _working_owner(case: Breached, agents: Sequence[Agent]) -> tuple[str | None, str]:
    """Who holds the case and can work it now, and why the holder cannot: a registered
    agent away or offline holds it as nobody does (a holder not registered, a manager
    named by the policy, has no known presence and keeps it)."""
    holder = next((a for a in agents if a.agent_id == case.assignee), None)
    if holder is None or holder.presence is Presence.ONLINE:
        return case.assignee, ""
    return None, f"{holder.agent_id} {holder.presence.value}; "


def _management(
    case: Breached,
    agents: Sequence[Agent],
    policy: RoutingPolicy,
    language: str | None,
    owner: str | None,
    absent: str,
) -> Escalation:
    """Management is told; the owner keeps the ticket, else a manager online takes it by
    name, else whoever is online, else it waits in its queue (``absent``: why the holder
    does not keep it)."""
    manager, passed = _manager_online(policy, agents, case.appealed_resolver)
    if owner is not None:
        assignment = Assignment(owner, f"management told; {owner} keeps it")
    elif manager is not None:
        assignment = Assignment(manager, f"{absent}{passed}{manager}: management")
    else:
        anyone = _anyone_online(case, agents, language)
        assignment = Assignment(anyone.assignee, f"{absent}{passed}{anyone.note}", anyone.agent)
    return Escalation(
        EscalationLevel.MANAGEMENT,
        case.queue or EXPERT_QUEUE,
        assignment,
        account_manager=policy.account_manager,
        support_manager=policy.support_manager,
    )


def _manager_online(
    policy: RoutingPolicy, agents: Sequence[Agent], resolver: str | None
) -> tuple[str | None, str]:
    """The support manager, else the account manager (for an appeal, whose ``resolver`` is
    named: its deputy, as the account manager may decide no appeal), unless registered as an
    agent who is away or offline, or the ``resolver``; and who was passed over, why."""
    passed = ""
    for role, name in policy.managers_for(appeal=resolver is not None):
        if name is not None and name == resolver:
            passed += f"{name} made the appealed resolution; "
            continue
        agent = next((a for a in agents if a.agent_id == name), None)
        if name is not None and (agent is None or agent.presence is Presence.ONLINE):
            return name, passed
        if agent is not None:
            passed += f"{role} {name} {agent.presence.value}; "
    return None, passed


def _anyone_online(case: Breached, agents: Sequence[Agent], language: str | None) -> Assignment:
    """No owner and no manager named: the least-loaded online agent who reads the language,
    experts first, beyond capacity (a breached ticket must have a person)."""
    online = [
        a
        for a in agents
        if a.tenant_id == case.tenant_id
        and a.agent_id != case.appealed_resolver
        and a.presence is Presence.ONLINE
        and (not language or language in a.languages)
    ]
    if not online:
        return Assignment(None, "nobody online and no manager online: waits in its queue")
    best = min(online, key=lambda a: (not a.expert, a.load / max(a.capacity, 1), a.agent_id))
    return Assignment(best.agent_id, f"{best.agent_id}: online, beyond capacity", best)


def _noted(assignment: Assignment, rung: str) -> Assignment:
    return Assignment(assignment.assignee, f"{rung}: {assignment.note}", assignment.agent)
