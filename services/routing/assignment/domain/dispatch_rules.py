"""Which waiting ticket goes to which free agent (issue #18, item 2). Pure.

When an agent frees capacity (resolves, comes online, gets more capacity),
the most urgent waiting case they may take is pushed to them: priority first,
then the nearest SLA deadline, then the oldest. When several agents are free,
the tenant's assignment mode picks among those able to take that case
(``domain.pick_agent``: least loaded, or round robin).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.events import Priority
from services.routing.assignment.domain.agents import Agent, pick_agent
from services.routing.assignment.domain.policy import AssignmentMode
from services.routing.assignment.domain.queues import QueueDef, standing_queue

_URGENCY = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
_LAST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Waiting:
    """A case open in a queue with nobody on it, as dispatch reads it."""

    ticket_id: str
    queue: str
    priority: Priority
    due: datetime | None
    """Its next SLA deadline: first response until answered, then resolution."""
    opened_at: datetime | None
    category: str | None
    language: str | None
    """The language the agent must read."""
    excluded: str | None = None
    """Who may not take it: the resolver of the resolution its appeal reviews."""


def urgency(waiting: Waiting) -> tuple[int, datetime, datetime, str]:
    """Sort key, most urgent first: priority, SLA deadline, age, id (stable)."""
    return (
        _URGENCY[waiting.priority],
        waiting.due or _LAST,
        waiting.opened_at or _LAST,
        waiting.ticket_id,
    )


@dataclass(frozen=True)
class Handout:
    waiting: Waiting
    agent: Agent
    note: str


def next_handout(
    waiting: Sequence[Waiting],
    agents: Sequence[Agent],
    queues: Mapping[str, QueueDef],
    mode: AssignmentMode,
) -> Handout | None:
    """The most urgent waiting case some free agent may take, and the agent; None if none."""
    free = [a for a in agents if a.unavailable() is None]
    if not free:
        return None
    for case in sorted(waiting, key=urgency):
        queue = standing_queue(case.queue, case.category, queues)
        able = [
            a
            for a in free
            if a.agent_id != case.excluded
            and a.unqualified(queue, case.category, case.language) is None
        ]
        if able:
            agent = pick_agent(able, mode)
            how = "least loaded" if mode is AssignmentMode.LEAST_LOADED else "next in turn"
            note = (
                f"{agent.agent_id} had room: most urgent waiting ({case.priority.value}), "
                f"{how} of {len(able)} free ({agent.load}/{agent.capacity})"
            )
            return Handout(case, agent, note)
    return None
