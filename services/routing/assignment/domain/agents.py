"""Agents: skills, capacity and presence, and which agent takes a case. Pure, time passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import Field

from runtime.aggregate import Aggregate
from services.routing.assignment.domain.policy import AssignmentMode
from services.routing.assignment.domain.queues import QueueDef


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Agent(Aggregate):
    """An agent's skills, capacity and presence in one tenant, and the tickets they hold.

    ``tickets`` is the reservation that enforces capacity: an assignment is a
    versioned write of this document before the case is saved, so two
    consumers cannot both take an agent's last free slot. ``held_since`` says when each
    was last claimed, so a slot whose case commit never came is told from one whose
    commit is on its way (``orphans``).
    """

    agent_id: str
    name: str | None = None
    categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    capacity: int = Field(default=5, ge=0)
    expert: bool = False
    senior: bool = False
    """Takes the first escalation of a breached SLA in the queues they work (docs/sla.md)."""
    manager: str | None = None
    """Their team lead: told when a ticket they hold breaches (else the support manager)."""
    presence: Presence = Presence.OFFLINE
    tickets: list[str] = Field(default_factory=list)
    held_since: dict[str, datetime] = Field(default_factory=dict)
    """When each held ticket was last claimed (ticket ids are intake's ``TC-…``: safe keys)."""
    last_assigned_at: datetime | None = None

    @staticmethod
    def key(tenant_id: str, agent_id: str) -> str:
        return f"{tenant_id}:{agent_id}"

    @property
    def load(self) -> int:
        return len(self.tickets)

    def holds(self, ticket_id: str) -> bool:
        return ticket_id in self.tickets

    def unavailable(self) -> str | None:
        """Why this agent cannot take one more ticket now, if they cannot."""
        if self.presence is not Presence.ONLINE:
            return self.presence.value
        if self.load >= self.capacity:
            return f"at capacity {self.load}/{self.capacity}"
        return None

    def unqualified(
        self, queue: QueueDef, category: str | None, language: str | None
    ) -> str | None:
        """Why this agent may not take this case, if they may not."""
        return self.unavailable() or self.unskilled(queue, category, language)

    def unskilled(self, queue: QueueDef, category: str | None, language: str | None) -> str | None:
        """Why this agent may not work this case whatever their load and presence (a case
        they hold already), if they may not."""
        if queue.expert_only and not self.expert:
            return "not an expert"
        if language and language not in self.languages:
            return f"no {language}"
        if queue.categories and category not in self.categories:
            return f"no {category} skill"
        return None

    def take(self, ticket_id: str, now: datetime) -> None:
        """Hold the ticket (idempotent; a claim again renews its time). Transfers use it beyond
        capacity: an agent decided."""
        if ticket_id not in self.tickets:
            self.tickets.append(ticket_id)
            self.last_assigned_at = now
        self.held_since[ticket_id] = now

    def release(self, ticket_id: str) -> None:
        if ticket_id in self.tickets:
            self.tickets.remove(ticket_id)
        self.held_since.pop(ticket_id, None)

    def claimed_at(self, ticket_id: str) -> datetime | None:
        """When the held ticket was last claimed; older code kept no time, but took every slot
        no later than its last assignment (None: long ago)."""
        return self.held_since.get(ticket_id) or self.last_assigned_at


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    note: str
    agent: Agent | None = None
    """Whose capacity the assignment takes; None when the assignee is kept or named by policy."""


_NEVER = datetime.min.replace(tzinfo=UTC)


def choose_agent(
    agents: Sequence[Agent],
    *,
    tenant_id: str,
    ticket_id: str,
    queue: QueueDef,
    category: str | None,
    language: str | None,
    account_manager: str | None = None,
    mode: AssignmentMode = AssignmentMode.LEAST_LOADED,
    previous: str | None = None,
) -> Assignment:
    """The least-loaded (or, round robin, the longest-waiting) qualified agent of this
    tenant who is online with a free slot.

    A reopened ticket goes back to ``previous``, the agent who last had it, when they are
    online with a free slot (and an expert, for an expert-only queue): they know the case,
    whatever their skills. Otherwise it is chosen as any other.

    Load is the share of capacity in use; ties go to the fewest tickets, then to
    whoever has waited longest since their last assignment. An agent who
    already holds the ticket (a redelivered message) keeps it. A VIP's account
    manager is preferred whenever they are online with room and speak the
    language, whatever the category.
    """
    own = [a for a in agents if a.tenant_id == tenant_id]
    holder = next((a for a in own if a.holds(ticket_id)), None)
    if holder is not None:
        return Assignment(holder.agent_id, f"{holder.agent_id} already holds it", holder)
    back, skipped = _back_to(own, previous, queue)
    if back is not None:
        return back
    if account_manager is not None:
        manager = next((a for a in own if a.agent_id == account_manager), None)
        why = "not registered" if manager is None else manager.unavailable()
        if manager is not None and why is None and language and language not in manager.languages:
            why = f"no {language}"
        if manager is not None and why is None:
            note = f"{manager.agent_id}: the VIP's account manager"
            return Assignment(manager.agent_id, note, manager)
        skipped += f"account manager {account_manager} {why}; "
    refusals = {a.agent_id: a.unqualified(queue, category, language) for a in own}
    qualified = [a for a in own if refusals[a.agent_id] is None]
    if not qualified:
        shown = "; ".join(f"{k} {v}" for k, v in sorted(refusals.items())[:4])
        detail = f" ({shown})" if shown else ""
        return Assignment(None, f"{skipped}no qualified agent available{detail}: left in queue")
    best = pick_agent(qualified, mode)
    how = "least loaded" if mode is AssignmentMode.LEAST_LOADED else "next in turn"
    return Assignment(
        best.agent_id,
        f"{skipped}{best.agent_id}: {how} of {len(qualified)} qualified "
        f"({best.load}/{best.capacity})",
        best,
    )


def _back_to(
    agents: Sequence[Agent], previous: str | None, queue: QueueDef
) -> tuple[Assignment | None, str]:
    """The agent who last had a reopened ticket, if they may take it now, else why not."""
    if previous is None:
        return None, ""
    agent = next((a for a in agents if a.agent_id == previous), None)
    why = "not registered" if agent is None else agent.unavailable()
    if agent is not None and why is None and queue.expert_only and not agent.expert:
        why = "not an expert"
    if agent is None or why is not None:
        return None, f"last agent {previous} {why}; "
    return Assignment(agent.agent_id, f"{agent.agent_id}: back to the agent who had it", agent), ""


def pick_agent(able: Sequence[Agent], mode: AssignmentMode) -> Agent:
    """Of agents who may all take a ticket, the one the tenant's assignment mode prefers."""
    if mode is AssignmentMode.ROUND_ROBIN:
        return min(able, key=lambda a: (a.last_assigned_at or _NEVER, a.agent_id))
    return min(
        able,
        key=lambda a: (a.load / a.capacity, a.load, a.last_assigned_at or _NEVER, a.agent_id),
    )
