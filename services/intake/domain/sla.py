"""How routing's SLA warnings and breaches read on a ticket's timeline (issue #7). Pure.

Routing owns the clocks and decides warnings and escalations; intake only
shows them to agents and travellers' trackers and keeps the ticket's priority
in step (see ``Ticket.record_sla_warning`` and ``Ticket.escalate_on_breach``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from contracts import events
from contracts.events import EscalationLevel, Priority, SlaClock

CLOCK_NAMES = {
    SlaClock.FIRST_RESPONSE: "First response",
    SlaClock.NEXT_RESPONSE: "Next response",
    SlaClock.RESOLUTION: "Resolution",
    SlaClock.SUPPLIER: "Supplier",
}
LEVEL_NAMES = {
    EscalationLevel.SENIOR_AGENT: "a senior agent",
    EscalationLevel.EXPERT_TEAM: "the expert team",
    EscalationLevel.MANAGEMENT: "management",
}
SEVERITY = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.CRITICAL: 3}
ESCALATION_RULE = "sla-escalated"
"""``TicketRouted.rule`` of routing's re-publish at a breach (docs/sla.md)."""
IN_PLACE_RULE = "recategorised-in-place"
"""``TicketRouted.rule`` of a category an agent set that keeps the queue and agent."""
TAKEN_OVER_RULE = "taken-over"
"""``TicketRouted.rule`` of a bot-answered ticket an agent's reply or transfer took over."""
RESUMED_RULE = "sla-resumed"
"""``TicketRouted.rule`` of routing's deadlines moved by a wait that ended: nothing else."""
DISPATCHED_RULE = "dispatched"
"""``TicketRouted.rule`` of a case waiting in its queue pushed to an agent who had room."""
URGENCY_RULE = "urgency-raised"
"""``TicketRouted.rule`` of a repeat contact raising an open case's priority in place."""
TRANSFERRED_RULE = "transferred"
"""``TicketRouted.rule`` of the category an agent's transfer to another family implies: the
category alone changes (the transfer already placed the ticket)."""


def higher(current: Priority, proposed: Priority) -> Priority:
    """The more urgent of two priorities: a breach raises a ticket, never lowers it."""
    return proposed if SEVERITY[proposed] > SEVERITY[current] else current


def due_text(deadline: datetime, at: datetime) -> str:
    """A deadline in UTC: the time alone when it falls on the day of ``at``, else with the date."""
    due, now = deadline.astimezone(UTC), at.astimezone(UTC)
    return due.strftime("%H:%M UTC" if due.date() == now.date() else "%Y-%m-%d %H:%M UTC")


def warning_summary(warning: events.SlaWarning) -> str:
    """E.g. "First response SLA warning: due 14:05 UTC"."""
    due = due_text(warning.deadline, warning.warned_at)
    return f"{CLOCK_NAMES[warning.clock]} SLA warning: due {due}"


def breach_summary(breached: events.SlaBreached) -> str:
    """E.g. "Resolution SLA breached: escalated to the expert team, priority raised to critical"."""
    holder = breached.assignee or breached.queue
    summary = (
        f"{CLOCK_NAMES[breached.clock]} SLA breached: escalated to {LEVEL_NAMES[breached.level]}"
        + (f" ({holder})" if holder else "")
    )
    if breached.priority != breached.previous_priority:
        summary += f", priority raised to {breached.priority.value}"
    return summary


def resumed_summary(routed: events.TicketRouted) -> str:
    """E.g. "SLA clocks resumed: resolution due 2026-12-08 09:00 UTC"."""
    return f"SLA clocks resumed: resolution due {due_text(routed.resolution_due, routed.routed_at)}"


def routing_step(routed: events.TicketRouted) -> tuple[str, str]:
    """The timeline kind and summary of a routing decision, e.g. "Routed to expert (critical)".

    Routing's re-publish at a breach is an ``escalated`` step (desk-only, beside the
    ``sla_breached`` one that says why), not a second "Routed to" the traveller's
    tracker would show again; so is a category set within the same queue, a
    ``recategorised`` step ("Category set to invoice, stays in finance"), and the queue
    of a bot-answered ticket an agent's reply or transfer took over, a ``taken_over`` step
    (the traveller has the bot's or the agent's answer). A waiting case pushed to an agent
    is an ``assigned`` step and a priority a repeat contact raised a ``priority_raised``
    one: the queue is the one already shown, and notify tells the traveller neither.
    """
    if routed.rule == DISPATCHED_RULE:
        summary = f"Assigned to {routed.assignee} in {routed.queue}"
        return "assigned", f"{summary} ({routed.priority.value})"
    if routed.rule == URGENCY_RULE:
        return "priority_raised", f"Priority raised to {routed.priority.value} in {routed.queue}"
    if routed.rule == IN_PLACE_RULE:
        return "recategorised", f"Category set to {routed.category}, stays in {routed.queue}"
    if routed.rule == TAKEN_OVER_RULE:
        summary = f"Taken over from the bot by {routed.assignee} in {routed.queue}"
        return "taken_over", f"{summary} ({routed.priority.value})"
    kind, verb = (
        ("escalated", "Escalated") if routed.rule == ESCALATION_RULE else ("routed", "Routed")
    )
    return kind, f"{verb} to {routed.queue} ({routed.priority.value})"
