"""The agent console's reads: the open tickets of a tenant, for its queues."""

from __future__ import annotations

from services.intake.domain import Ticket, TicketStatus
from services.intake.live_feed import Applied
from services.intake.store import TicketStore

OPEN = [s.value for s in TicketStatus if s not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)]
SHOWN = 500
"""Newest open tickets a console lists; a desk with more works from search."""


async def open_tickets(tickets: TicketStore, tenant_id: str) -> list[Ticket]:
    """Open tickets, newest first (``$in`` on status: one indexed query)."""
    found = (
        tickets.repo.collection.find({"tenant_id": tenant_id, "status": {"$in": OPEN}})
        .sort([("opened_us", -1)])
        .limit(SHOWN)
    )
    return [Ticket.model_validate(doc) async for doc in found]


def applied(tickets: TicketStore) -> Applied:
    """Whether a ticket has taken in one message (the live feed waits for it)."""

    async def check(tenant_id: str, ticket_id: str, message_id: str) -> bool:
        found = await tickets.repo.collection.find_one(
            {"tenant_id": tenant_id, "_id": ticket_id}, {"processed": 1}
        )
        return found is not None and message_id in found.get("processed", [])

    return check
