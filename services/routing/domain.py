"""Routing cases: which queue, which priority, which SLA deadlines. Pure, time passed in.

The walking skeleton routes every ticket to the ``general`` queue under the
default SLA policy; classification (issue #4) and policy management (issue #7)
replace ``route`` and ``DEFAULT_POLICY``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from contracts import events
from contracts.events import Priority, Traveller
from runtime.aggregate import Aggregate

DEFAULT_QUEUE = "general"


class SlaTargets(BaseModel):
    first_response: timedelta
    resolution: timedelta


DEFAULT_POLICY: dict[Priority, SlaTargets] = {
    Priority.CRITICAL: SlaTargets(
        first_response=timedelta(minutes=5), resolution=timedelta(hours=1)
    ),
    Priority.HIGH: SlaTargets(first_response=timedelta(minutes=15), resolution=timedelta(hours=4)),
    Priority.NORMAL: SlaTargets(
        first_response=timedelta(minutes=30), resolution=timedelta(hours=24)
    ),
    Priority.LOW: SlaTargets(first_response=timedelta(hours=4), resolution=timedelta(hours=72)),
}

RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}


class CaseStatus(StrEnum):
    PENDING = "pending"
    """Created by an event that overtook ``ticket.opened``."""
    OPEN = "open"
    RESOLVED = "resolved"


class RoutingCase(Aggregate):
    status: CaseStatus = CaseStatus.PENDING
    traveller: Traveller | None = None
    priority: Priority = Priority.NORMAL
    queue: str | None = None
    opened_at: datetime | None = None
    clock_started_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    first_response_met: bool | None = None
    resolution_met: bool | None = None

    @classmethod
    def blank(cls, tenant_id: str, ticket_id: str) -> RoutingCase:
        return cls(id=ticket_id, tenant_id=tenant_id)

    def open(self, opened: events.TicketOpened, now: datetime) -> None:
        """Route a new ticket, unless it was resolved before we heard it opened."""
        self.traveller = opened.traveller
        self.opened_at = opened.opened_at
        self.priority = opened.priority
        if self.status is CaseStatus.PENDING and self.resolved_at is None:
            self.status = CaseStatus.OPEN
            self._route(opened.opened_at, now, reason="default policy: general queue")
        self._score()

    def resolve(self, resolved: events.TicketResolved) -> None:
        self.status = CaseStatus.RESOLVED
        self.traveller = resolved.traveller
        self.opened_at = self.opened_at or resolved.opened_at
        self.first_response_at = resolved.first_response_at
        self.resolved_at = resolved.resolved_at
        self._score()

    def reopen(self, reopened: events.TicketReopened, now: datetime) -> None:
        """A reopened ticket gets a raised priority and fresh targets from the reopen time."""
        self.status = CaseStatus.OPEN
        self.traveller = reopened.traveller
        self.priority = RAISED[max(self.priority, reopened.priority, key=_rank)]
        self.resolved_at = None
        self.resolution_met = None
        self._route(reopened.reopened_at, now, reason=f"reopened: {reopened.reason}")

    def _route(self, clock_start: datetime, now: datetime, *, reason: str) -> None:
        targets = DEFAULT_POLICY[self.priority]
        self.queue = DEFAULT_QUEUE
        self.clock_started_at = clock_start
        self.first_response_due = clock_start + targets.first_response
        self.resolution_due = clock_start + targets.resolution
        assert self.traveller is not None
        self.raise_event(
            events.TicketRouted(
                ticket_id=self.id,
                traveller=self.traveller,
                queue=self.queue,
                priority=self.priority,
                first_response_due=self.first_response_due,
                resolution_due=self.resolution_due,
                reason=reason,
                routed_at=now,
            )
        )

    def _score(self) -> None:
        """Whether the SLA targets were met, once both ends of a clock are known."""
        if self.first_response_at and self.first_response_due:
            self.first_response_met = self.first_response_at <= self.first_response_due
        if self.resolved_at and self.resolution_due:
            self.resolution_met = self.resolved_at <= self.resolution_due


def _rank(priority: Priority) -> int:
    return [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL].index(priority)
