"""Other services' events applied to the ticket they name (routing's decisions, surveys,
SLA warnings and breaches, appeals, incident links), each message once.

Intake writes every ticket before anything about it is published, so an event naming a
ticket intake does not have in the event's tenant (none by that id, or another tenant's)
never will apply: it is dead-lettered at once (``runtime.consumer_policy.CannotApply``)
rather than retried through the delivery limit.
"""

from __future__ import annotations

from typing import Any

from contracts import events
from contracts.envelope import Envelope
from runtime.consumer_policy import CannotApply
from runtime.store import NotFound, Repository
from services.intake.domain import Ticket
from services.intake.service import Change, Intake


async def apply_to_ticket(
    tickets: Repository[Ticket], envelope: Envelope[Any], ticket_id: str, change: Change
) -> Ticket:
    """Apply the event to its ticket once per message; a ticket intake does not have is
    ``CannotApply`` (see the module)."""
    try:
        return await tickets.apply(envelope, ticket_id, change)
    except NotFound as exc:
        raise CannotApply(
            f"{envelope.schema_name} names ticket {ticket_id}, which intake does not have "
            f"in tenant {envelope.tenant_id}"
        ) from exc


class TicketEvents:
    """Other services' events applied to their ticket, each message once (the repository's
    inbox)."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.tickets = intake.tickets.repo

    async def apply(self, envelope: Envelope[Any], ticket_id: str, change: Change) -> Ticket:
        return await apply_to_ticket(self.tickets, envelope, ticket_id, change)

    async def appeal_filed(self, envelope: Envelope[events.AppealFiled]) -> None:
        filed = envelope.payload
        await self.apply(
            envelope, filed.ticket_id, lambda t: t.appeal(filed, now=self.intake.clock.now())
        )
