"""Who hears of an SLA warning or breach: whoever holds the ticket, the agent it was taken
from, the holder's manager and, at the management level, the tenant's managers.
"""

from __future__ import annotations

import math
from datetime import datetime

from contracts import events
from contracts.events import EscalationLevel, Priority, Traveller
from services.notify.domain.local_time import deadline_text
from services.notify.domain.notice import Notice
from services.notify.domain.recipients import Directory, Role
from services.notify.domain.templates import (
    SLA_BREACHED,
    SLA_BREACHED_FOR_MANAGEMENT,
    SLA_HANDED_OVER,
    SLA_WARNING,
)


def _holder(
    event: events.SlaWarning | events.SlaBreached, tenant_id: str, directory: Directory
) -> tuple[Traveller, Role] | None:
    """Who answers for a ticket: its assignee, else its queue's team, else the support manager."""
    if event.assignee:
        return directory.agent(event.assignee), Role.AGENT
    if event.queue:
        return directory.team(event.queue), Role.TEAM
    manager = directory.staff(tenant_id).support_manager
    return (manager, Role.SUPPORT_MANAGER) if manager else None


def _sla_values(event: events.SlaWarning | events.SlaBreached) -> dict[str, str]:
    return {
        "ticket_id": event.ticket_id,
        "clock": event.clock.value,
        "priority": event.priority.value,
        "queue": event.queue or "",
        "assigned": "yes" if event.assignee else "",
    }


def _notice(
    event: events.SlaWarning | events.SlaBreached,
    person: Traveller,
    template: str,
    values: dict[str, str],
    role: Role,
    *,
    held_at: datetime | None = None,
) -> Notice:
    """The deadline in the person's own time zone, else the business's, else UTC."""
    deadline = deadline_text(event.deadline, person, event.time_zone)
    values = {**values, "deadline": deadline}
    return Notice(event.ticket_id, person, template, values, role, held_at=held_at)


def _to_holder(
    event: events.SlaWarning | events.SlaBreached,
    holder: tuple[Traveller, Role],
    template: str,
    values: dict[str, str],
) -> Notice:
    """The holder's notice; an agent's keeps the event's time, when the ticket was theirs: a
    newer holder notify learns of before it goes out makes it past (``domain.assignment``).
    A team or a manager holds no ticket."""
    person, role = holder
    at = event.warned_at if isinstance(event, events.SlaWarning) else event.breached_at
    return _notice(
        event, person, template, values, role, held_at=at if role is Role.AGENT else None
    )


def sla_warning_notices(
    event: events.SlaWarning, tenant_id: str, directory: Directory
) -> list[Notice]:
    holder = _holder(event, tenant_id, directory)
    if holder is None:
        return []
    left = math.ceil((event.deadline - event.warned_at).total_seconds() / 60)
    values = {**_sla_values(event), "minutes_left": str(max(0, left))}
    return [_to_holder(event, holder, SLA_WARNING, values)]


def sla_breached_notices(
    event: events.SlaBreached, tenant_id: str, directory: Directory
) -> list[Notice]:
    """The holder (kept or new), the previous holder when it changed hands, the holder's
    manager; at the management level, and when the breach made the ticket critical, also
    the managers the event names (else the tenant's configured ones): the escalation's
    ``ticket.routed`` does not alert them again. Each person is told once, by name.
    """
    kept = event.assignee is not None and event.assignee == event.previous_assignee
    values = {
        **_sla_values(event),
        "level": event.level.value,
        "previous_priority": event.previous_priority.value,
        "previous_assignee": "" if kept else event.previous_assignee or "",
        "kept": "yes" if kept else "",
        "holder": event.assignee or event.queue or "",
    }
    notices = []
    if holder := _holder(event, tenant_id, directory):
        notices.append(_to_holder(event, holder, SLA_BREACHED, values))
    if event.previous_assignee and not kept:
        previous = directory.agent(event.previous_assignee)
        notices.append(_notice(event, previous, SLA_HANDED_OVER, values, Role.AGENT))
    managers: list[tuple[Role, Traveller | None]] = []
    if event.manager:
        managers.append((Role.MANAGER, directory.manager(tenant_id, event.manager)))
    made_critical = (
        event.priority is Priority.CRITICAL and event.previous_priority is not event.priority
    )
    if event.level is EscalationLevel.MANAGEMENT or made_critical:
        configured = directory.staff(tenant_id)
        for role, named, fallback in (
            (Role.ACCOUNT_MANAGER, event.account_manager, configured.account_manager),
            (Role.SUPPORT_MANAGER, event.support_manager, configured.support_manager),
        ):
            managers.append((role, directory.manager(tenant_id, named) if named else fallback))
    for role, manager in managers:
        if manager is not None and all(n.recipient.id != manager.id for n in notices):
            notices.append(_notice(event, manager, SLA_BREACHED_FOR_MANAGEMENT, values, role))
    return notices
