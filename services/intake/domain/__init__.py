"""Intake's pure rules: the ticket and its lifecycle, one module per rule set; no I/O, time
passed in. The names the rest of intake (and other code) import are re-exported here.
"""

from services.intake.domain.appeal_review import Decider, NotTheReviewer, PendingAppeal
from services.intake.domain.identity import (
    contact_id_for,
    contact_id_of,
    thread_key_for,
    ticket_id_for,
)
from services.intake.domain.proactive import proactive_thread_key
from services.intake.domain.records import (
    MAX_TEXT_KEPT,
    ContactRecord,
    TicketAttachment,
    TimelineEntry,
)
from services.intake.domain.status import (
    ANSWERABLE,
    REOPEN_PRIORITY,
    TRANSITIONS,
    WAITING,
    IllegalTransition,
    TicketStatus,
)
from services.intake.domain.ticket import Ticket

__all__ = [
    "ANSWERABLE",
    "MAX_TEXT_KEPT",
    "REOPEN_PRIORITY",
    "TRANSITIONS",
    "WAITING",
    "ContactRecord",
    "Decider",
    "IllegalTransition",
    "NotTheReviewer",
    "PendingAppeal",
    "Ticket",
    "TicketAttachment",
    "TicketStatus",
    "TimelineEntry",
    "contact_id_for",
    "contact_id_of",
    "proactive_thread_key",
    "thread_key_for",
    "ticket_id_for",
]
