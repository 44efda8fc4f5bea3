"""The SLA clock an agent sees on a ticket: which deadline runs, how much is left, what colour.

Which deadline runs is also what the traveller's tracking page expects an answer by
(``running_due``): first response until the current run's first answer, then resolution.
A reopen (a follow-up, "that did not help", an appeal) starts a new run in routing with
its own first-response clock (docs/sla.md), so an answer from before it answers nothing
in it. Pure: ``now`` is passed in. The console's script applies the same thresholds
(``static/console.js``) to advance the clock between page loads from the
server's ``now``; both must change together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from contracts.events import SlaClock
from runtime.clock import epoch_ms
from services.intake.domain.status import WAITING, TicketStatus
from services.intake.domain.ticket import Ticket

AMBER_SHARE = 0.25
"""The clock turns amber when a quarter or less of its window is left."""

STOPPED = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.BOT_ANSWERED})
RESPONSES = frozenset({"replied", "resolved", "bot_answered"})
"""Timeline steps that answer the traveller: each is a first response if none came yet."""


class ClockState(StrEnum):
    OK = "ok"
    AMBER = "amber"
    RED = "red"
    PAUSED = "paused"


@dataclass(frozen=True)
class RunningClock:
    """The clock shown: ``target`` is contracts' ``SlaClock`` (first response or resolution)."""

    target: SlaClock
    started_ms: int
    due_ms: int
    state: ClockState
    remaining_s: int


def state_at(now_ms: int, started_ms: int, due_ms: int) -> ClockState:
    """Red once due, amber in the last quarter of the window, green before."""
    if now_ms >= due_ms:
        return ClockState.RED
    window = max(due_ms - started_ms, 1)
    return ClockState.AMBER if (due_ms - now_ms) <= AMBER_SHARE * window else ClockState.OK


def last_reopen(ticket: Ticket) -> datetime | None:
    """When the ticket was last reopened (or escalated by an appeal while open): the start
    of routing's current run of clocks; None if it never was."""
    return next((e.at for e in reversed(ticket.timeline) if e.kind == "reopened"), None)


def run_started_at(ticket: Ticket) -> datetime:
    return last_reopen(ticket) or ticket.opened_at


def answered_in_run(ticket: Ticket) -> bool:
    """Whether the current run's first response was given (``first_response_at`` is the
    ticket's first ever, from perhaps an earlier run)."""
    reopened = last_reopen(ticket)
    if ticket.first_response_at is None or reopened is None:
        return ticket.first_response_at is not None
    return any(e.kind in RESPONSES and e.at >= reopened for e in ticket.timeline)


def deadlines_in_run(ticket: Ticket) -> bool:
    """Whether the ticket's deadlines are the current run's: routing brought some (a step
    carrying them) since the last reopen. Until its decision on the reopen arrives they are
    the earlier run's, which may still lie ahead (a quick "that did not help")."""
    reopened = last_reopen(ticket)
    return reopened is None or any(
        e.at >= reopened and "first_response_due" in e.details for e in ticket.timeline
    )


def running_due(ticket: Ticket) -> tuple[SlaClock, datetime] | None:
    """The deadline that runs, whatever the status: the run's first response until it is
    given, then resolution; none before routing gave the run's deadlines."""
    if not deadlines_in_run(ticket):
        return None
    if not answered_in_run(ticket) and ticket.first_response_due is not None:
        return SlaClock.FIRST_RESPONSE, ticket.first_response_due
    if ticket.resolution_due is not None:
        return SlaClock.RESOLUTION, ticket.resolution_due
    return None


def clock_of(ticket: Ticket, now: datetime) -> RunningClock | None:
    """The running clock, from the run's start; none when stopped."""
    running = None if ticket.status in STOPPED else running_due(ticket)
    if running is None:
        return None
    target, due = running
    started, due_ms, now_ms = epoch_ms(run_started_at(ticket)), epoch_ms(due), epoch_ms(now)
    state = ClockState.PAUSED if ticket.status in WAITING else state_at(now_ms, started, due_ms)
    return RunningClock(
        target=target,
        started_ms=started,
        due_ms=due_ms,
        state=state,
        remaining_s=(due_ms - now_ms) // 1000,
    )


def deadline_ms(ticket: Ticket) -> int:
    """Sort key of a queue: the running deadline first, tickets without one last."""
    running = running_due(ticket)
    return epoch_ms(running[1]) if running else 2**62
