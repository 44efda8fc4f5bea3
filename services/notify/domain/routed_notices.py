"""Who hears that a ticket was routed: the traveller (which team has it), the agent it was
assigned to, and — when it becomes critical — the managers routing's policy names; and who
hears that an agent transferred a ticket: the agent it now belongs to.
"""

from __future__ import annotations

from dataclasses import replace

from contracts import events
from contracts.events import Priority, Traveller
from services.notify.domain.local_time import deadline_text
from services.notify.domain.notice import Notice, traveller_name
from services.notify.domain.recipients import Directory, Role
from services.notify.domain.templates import ASSIGNED, ESCALATED, ROUTED, TRANSFERRED

QUIET_REROUTES = frozenset({"urgency-raised", "recategorised-in-place", "taken-over"})
"""Re-routes that keep the team and agent (tighter deadlines, a category set within the
same queue, or set again), or that follow a person (a bot-answered ticket an agent's reply
or transfer took over: the traveller has an answer, the agent knows): nothing to tell anew."""
AGENT_ONLY_REROUTES = frozenset({"dispatched"})
"""A waiting ticket pushed to an agent with room: the traveller already knows its team."""
SILENT_REROUTES = frozenset({"sla-resumed", "transferred"})
"""Only the deadlines moved (a wait ended), or the category a transfer to another family
implies was set (``ticket.transferred`` told its agent): intake's copy changes, nobody is
told."""
ESCALATED_AT_BREACH = "sla-escalated"
"""Routing's re-publish at an SLA breach: ``sla.breached`` tells the holder (kept or new),
the previous holder and the managers; the traveller is not told of the escalation."""


def tells_traveller(event: events.TicketRouted) -> bool:
    """Whether the traveller hears of this routing: which team has it and by when to expect
    an answer.

    Not when a proactive notice already said what happens next, nor to list or bulk mail
    or a sender who asked for no automatic answer (``quiet``: RFC 3834), nor for a push that
    only names the agent or a re-route that only tightens deadlines; and never with a promise
    whose deadline has already passed. Never for an SLA escalation (rule ``sla-escalated``):
    it keeps the clocks' deadlines, so its ``first_response_due`` is the one just breached,
    or, when the breach is another clock's (resolution, next response, supplier), the
    deadline of a first response already given: "expect an answer by" either is wrong.
    """
    if event.proactive or event.quiet or event.rule in QUIET_REROUTES | AGENT_ONLY_REROUTES:
        return False
    if event.rule == ESCALATED_AT_BREACH:
        return False
    return event.first_response_due > event.routed_at


def alerts_managers(event: events.TicketRouted) -> bool:
    """Whether the managers hear of this routing: once, when the ticket becomes critical.

    Not when its previous ``ticket.routed`` was critical already (a push of a waiting
    ticket to an agent, a re-categorisation), nor at an SLA escalation: ``sla.breached``
    tells them of the breach, and of the ticket becoming critical by it, in one notice. A
    first routing, a reopen and an older event without ``previous_priority`` alert them.
    """
    if event.priority is not Priority.CRITICAL or event.rule == ESCALATED_AT_BREACH:
        return False
    return event.previous_priority is not Priority.CRITICAL


def routed_notices(
    event: events.TicketRouted, tenant_id: str, directory: Directory
) -> list[Notice]:
    if event.rule in SILENT_REROUTES:
        return []
    values = {"ticket_id": event.ticket_id, "queue": event.queue}
    quiet = event.rule in QUIET_REROUTES
    notices = []
    if tells_traveller(event):
        told = _notice(event, event.traveller, ROUTED, values, Role.TRAVELLER)
        notices.append(replace(told, promised_at=event.first_response_due))
    staff_values = {
        **values,
        "priority": event.priority.value,
        "traveller": traveller_name(event),
        "reason": event.reason,
    }
    if event.assignee and not quiet and event.rule != ESCALATED_AT_BREACH:
        agent = directory.agent(event.assignee)
        notices.append(_notice(event, agent, ASSIGNED, staff_values, Role.AGENT))
    if alerts_managers(event):
        for role, person in _alerted(event, tenant_id, directory):
            if all(n.recipient.id != person.id for n in notices):
                notices.append(_notice(event, person, ESCALATED, staff_values, role))
    return notices


def _notice(
    event: events.TicketRouted,
    person: Traveller,
    template: str,
    values: dict[str, str],
    role: Role,
) -> Notice:
    """``due``, the first-response deadline, in the person's own time zone, else the
    tenant's business zone the event carries, else UTC (``local_time.deadline_text``)."""
    due = deadline_text(event.first_response_due, person, event.time_zone)
    return Notice(event.ticket_id, person, template, {**values, "due": due}, role)


def _alerted(
    event: events.TicketRouted, tenant_id: str, directory: Directory
) -> list[tuple[Role, Traveller]]:
    """The managers routing's policy names on the event (their directory entry, else their
    inbox); an event naming neither (an older one) falls back to the configured ones."""
    if event.account_manager or event.support_manager:
        named = [
            (Role.ACCOUNT_MANAGER, event.account_manager),
            (Role.SUPPORT_MANAGER, event.support_manager),
        ]
        return [(role, directory.manager(tenant_id, pid)) for role, pid in named if pid]
    staff = directory.staff(tenant_id)
    configured = [
        (Role.ACCOUNT_MANAGER, staff.account_manager),
        (Role.SUPPORT_MANAGER, staff.support_manager),
    ]
    return [(role, person) for role, person in configured if person is not None]


def transferred_notices(event: events.TicketTransferred, directory: Directory) -> list[Notice]:
    """The agent a transfer names is told the ticket is theirs, as routing's assignments are;
    not an agent who took it themselves or already held it, and nobody for a transfer to a
    queue (dispatch's assignment from the queue tells its agent). An older event without
    priority or traveller still tells them, without those."""
    agent = event.to_assignee
    if agent is None or agent in (event.by, event.from_assignee):
        return []
    traveller = event.traveller
    values = {
        "ticket_id": event.ticket_id,
        "traveller": (traveller.name or traveller.id) if traveller else "",
        "priority": event.priority.value if event.priority else "",
        "queue": event.to_queue or "",
        "by": event.by,
        "reason": event.reason or "",
    }
    return [Notice(event.ticket_id, directory.agent(agent), TRANSFERRED, values, Role.AGENT)]
