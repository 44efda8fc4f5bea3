"""The SLA clock an agent sees on a ticket: which deadline runs, how much is left, what colour.

Pure: ``now`` is passed in. The console's script applies the same thresholds
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


def clock_of(ticket: Ticket, now: datetime) -> RunningClock | None:
    """The running clock: first response until answered, then resolution; none when stopped."""
    if ticket.status in STOPPED:
        return None
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        target, due = SlaClock.FIRST_RESPONSE, ticket.first_response_due
    elif ticket.resolution_due is not None:
        target, due = SlaClock.RESOLUTION, ticket.resolution_due
    else:
        return None
    started, due_ms, now_ms = epoch_ms(ticket.opened_at), epoch_ms(due), epoch_ms(now)
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
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return epoch_ms(ticket.first_response_due)
    if ticket.resolution_due is not None:
        return epoch_ms(ticket.resolution_due)
    return 2**62
