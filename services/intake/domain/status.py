"""The ticket's statuses and the moves between them: what an agent or an event may do next."""

from __future__ import annotations

from enum import StrEnum

from contracts.events import Priority
from contracts.refusals import Reason


class TicketStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ROUTED = "routed"
    BOT_ANSWERED = "bot_answered"
    ASSIGNED = "assigned"
    WAITING_ON_TRAVELLER = "waiting_on_traveller"
    WAITING_ON_SUPPLIER = "waiting_on_supplier"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


S = TicketStatus
WAITING = frozenset({S.WAITING_ON_TRAVELLER, S.WAITING_ON_SUPPLIER})
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.ROUTED, S.BOT_ANSWERED, S.ASSIGNED, S.RESOLVED, S.CLOSED}),
    S.ROUTED: frozenset({S.ROUTED, S.ASSIGNED, S.BOT_ANSWERED, S.RESOLVED, S.CLOSED}),
    S.BOT_ANSWERED: frozenset({S.ASSIGNED, S.RESOLVED, S.REOPENED, S.CLOSED}),
    S.ASSIGNED: frozenset({S.ROUTED, S.ASSIGNED, *WAITING, S.RESOLVED, S.CLOSED}),
    S.WAITING_ON_TRAVELLER: frozenset({S.ASSIGNED, S.ROUTED, S.RESOLVED, S.CLOSED}),
    S.WAITING_ON_SUPPLIER: frozenset({S.ASSIGNED, S.ROUTED, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.REOPENED, S.CLOSED}),
    S.REOPENED: frozenset({S.ROUTED, S.ASSIGNED, S.RESOLVED, S.CLOSED}),
    S.CLOSED: frozenset(),
}
"""Allowed moves; anything else is an ``IllegalTransition`` (HTTP 409) and changes nothing."""

ANSWERABLE = frozenset({S.ACKNOWLEDGED, S.ROUTED, S.BOT_ANSWERED, S.ASSIGNED, *WAITING, S.REOPENED})
TAKEN_BY_REPLY = frozenset({S.ACKNOWLEDGED, S.ROUTED, S.BOT_ANSWERED, S.REOPENED})
"""Statuses an agent's reply moves to assigned, the ticket theirs if nobody holds it."""
REOPENABLE = frozenset({S.RESOLVED, S.BOT_ANSWERED})
"""Answered statuses a traveller's follow-up (or "did not help") reopens."""
ANSWERED = REOPENABLE | {S.CLOSED}
"""Answered and done with: closing words go on the timeline (``reopening.thanked``)."""
REOPEN_PRIORITY = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}


def with_article(word: str) -> str:
    """ "an assigned", "a routed": statuses are English words, read in messages."""
    return f"{'an' if word[:1].lower() in set('aeiou') else 'a'} {word}"


class IllegalTransition(Exception):
    """A move the ticket's status forbids; ``reason`` its code for pages (the status)."""

    def __init__(self, current: TicketStatus, wanted: str) -> None:
        text = f"{with_article(current.value)} ticket cannot {wanted}"
        super().__init__(text)
        self.current = current
        self.reason = Reason("illegal_transition", text, {"status": current.value})


class IllegalMerge(IllegalTransition):
    """A merge its two tickets forbid whatever their status (into itself, into one it
    absorbed): refused like any illegal move (409), with the reason that applies."""

    def __init__(self, current: TicketStatus, reason: str) -> None:
        Exception.__init__(self, reason)
        self.current = current
        self.reason = Reason("illegal_merge", reason)
