"""Orphaned slots: tickets an agent's document holds that no case gives them. Pure.

A slot is written before the case that names its agent (``assignment.slots``), so a
process that dies in between, a commit that loses its race with no give-back, or a case
stored by older code leaves the agent holding a ticket that is not theirs: they look busy
for good and push assignment passes them over. The sweep (``assignment.reconcile``) gives
such slots back.

A held ticket is theirs while its case is open (or pending: an event that overtook
``ticket.opened`` named them) with them as its assignee. Any other case — resolved,
closed, bot-answered, waiting in its queue for anyone, with someone else, or no case at
all — makes it an orphan, but only once its slot is older than the grace: the slot is
written first, so a young one may be a reservation whose case commit is on its way. Every
reservation (re)writes its claim time (``Agent.held_since``) before its case commit, a
retry too, so the grace only has to cover one attempt's write of the agent to its case
commit; a slot stored without a claim time is as old as the agent's last assignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.routing.assignment.domain.agents import Agent
from services.routing.domain.status import CaseStatus

HOLDING = frozenset({CaseStatus.OPEN, CaseStatus.PENDING})
"""Statuses in which a case's assignee holds its slot."""


@dataclass(frozen=True)
class CaseHolder:
    """What a case says about its slot: its status and who it names."""

    status: CaseStatus
    assignee: str | None


@dataclass(frozen=True)
class Orphan:
    ticket_id: str
    why: str


def gives_slot(case: CaseHolder | None, agent_id: str) -> bool:
    """Whether the case (None: there is none) gives ``agent_id`` its slot."""
    return case is not None and case.status in HOLDING and case.assignee == agent_id


def orphans(agent: Agent, cases: Mapping[str, CaseHolder], cutoff: datetime) -> list[Orphan]:
    """The tickets ``agent`` holds, claimed no later than ``cutoff`` (now less the grace),
    whose case (``cases``, by ticket id; missing: none) does not give them the slot."""
    found = []
    for ticket_id in agent.tickets:
        case = cases.get(ticket_id)
        if gives_slot(case, agent.agent_id):
            continue
        claimed = agent.claimed_at(ticket_id)
        if claimed is None or claimed <= cutoff:
            found.append(Orphan(ticket_id, _why(case)))
    return found


def _why(case: CaseHolder | None) -> str:
    if case is None:
        return "it has no case"
    if case.status not in HOLDING:
        return f"its case is {case.status.value}"
    return f"its case is {case.status.value} with {case.assignee or 'nobody'}"
