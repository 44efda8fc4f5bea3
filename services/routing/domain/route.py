"""One routing decision: queue, rule, agent, priority, the SLA terms its clocks start on, and
how it reads on the ticket's timeline. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events import Priority
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.queues import QueueDef, Rule
from services.routing.domain.triage_view import TriageView
from services.routing.sla.domain import DEFAULT_SLA, SlaPolicy


@dataclass(frozen=True)
class Route:
    """One routing decision, ready to be explained."""

    queue: QueueDef
    rule: Rule
    assignment: Assignment
    priority: Priority
    priority_note: str
    bot_why: str | None
    sla: SlaPolicy = DEFAULT_SLA
    """The tenant's SLA policy, for clocks that start with this decision."""
    on_trip: bool = False
    """The traveller is travelling now: clocks count 24/7 (the trips read model's seam, #8)."""

    def explain(self, triage: TriageView | None) -> str:
        """The decision in one line for the timeline: category, queue and rule, priority,
        agent, and why the bot did not answer."""
        priority = f"priority {self.priority.value}"
        if self.priority_note:
            priority += f" ({self.priority_note})"
        parts = [
            f"category {triage.summary()}" if triage else "not classified",
            f"queue {self.queue.id} by rule {self.rule.value}",
            priority,
            self.assignment.note,
        ]
        if self.bot_why:
            parts.append(f"bot: {self.bot_why}")
        return "; ".join(parts)
