"""Intake's side of proactive care: proactive tickets, incident links and the bulk reply.

- ``proactive.contact`` (routing) opens one ticket per affected traveller and
  incident, or tells them of a material change on the ticket they have.
- ``incident.linked`` (routing) marks a traveller's own ticket as part of an incident.
- ``POST /v1/incidents/{id}/reply`` answers every open ticket of the incident in
  the agent's tenant at once: one ``ticket.replied`` per ticket.
- ``incident.resolved`` (routing: a manager closed the incident resolving its tickets)
  resolves every ticket of it still open in that tenant: one ``ticket.resolved`` each,
  which notify tells the traveller like any resolution.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pymongo.asynchronous.database import AsyncDatabase

from contracts import events
from contracts.envelope import Envelope
from contracts.text import free_text
from runtime.store import AlreadyExists, ConcurrencyError, Document, NotFound
from services.intake.domain import (
    ANSWERABLE,
    IllegalTransition,
    Ticket,
    proactive_thread_key,
    ticket_id_for,
)
from services.intake.service import Intake
from services.intake.store import TICKETS
from services.intake.ticket_events import apply_to_ticket

MAX_LINKED = 5_000
"""Tickets one bulk reply may reach (a full wide-body flight, twice over)."""
RESOLVE_CONCURRENCY = 16
"""Tickets one incident's resolution writes at once (like routing's fan-out)."""


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db[TICKETS].create_index([("tenant_id", 1), ("incident_id", 1)])


class IncidentDesk:
    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.tickets = intake.tickets.repo

    async def proactive_contact(
        self, envelope: Envelope[events.ProactiveContactRequested]
    ) -> Ticket:
        """Open the traveller's proactive ticket, or tell them of the change on it (once)."""
        tenant_id, request = envelope.tenant_id, envelope.payload
        ticket_id = ticket_id_for(
            tenant_id, proactive_thread_key(request.incident_id, request.traveller.id)
        )
        tracking_url = self.intake.tracking_url(tenant_id, ticket_id)
        now = self.intake.clock.now()
        if await self.tickets.get(tenant_id, ticket_id) is None:
            ticket = Ticket.open_proactive(tenant_id, request, tracking_url=tracking_url, now=now)
            await self.intake.tickets.index(ticket)
            try:
                await self.tickets.add(ticket, envelope)
                return ticket
            except AlreadyExists as exc:  # a concurrent delivery opened it: apply to that one
                raise ConcurrencyError(ticket_id) from exc
        return await self.tickets.apply(
            envelope,
            ticket_id,
            lambda t: t.disruption_changed(request, tracking_url=tracking_url, now=now),
        )

    async def incident_linked(self, envelope: Envelope[events.IncidentLinked]) -> None:
        """Routing links a ticket it learnt of from intake's own event: one intake does not
        have is dead-lettered at once (``apply_to_ticket``)."""
        linked = envelope.payload
        await apply_to_ticket(
            self.tickets, envelope, linked.ticket_id, lambda t: t.link_incident(linked)
        )

    async def incident_resolved(self, envelope: Envelope[events.IncidentResolved]) -> None:
        """Resolve every ticket of the incident still open in its tenant, each once: a
        redelivery finds the ones done marked with this message and leaves them."""
        resolved, now = envelope.payload, self.intake.clock.now()
        tickets = await self.linked(envelope.tenant_id, resolved.incident_id)
        gate = asyncio.Semaphore(RESOLVE_CONCURRENCY)

        async def resolve(ticket_id: str) -> None:
            async with gate:
                await self.tickets.apply(
                    envelope, ticket_id, lambda t: t.resolve_with_incident(resolved, now=now)
                )

        await asyncio.gather(*(resolve(t.id) for t in tickets if t.status in ANSWERABLE))

    async def linked(self, tenant_id: str, incident_id: str) -> list[Ticket]:
        cursor = (
            self.tickets.collection.find({"tenant_id": tenant_id, "incident_id": incident_id})
            .sort("opened_us", 1)
            .limit(MAX_LINKED)
        )
        return [Ticket.model_validate(doc) async for doc in cursor]

    async def reply_all(
        self, tenant_id: str, incident_id: str, message: str, agent: str
    ) -> BulkReplied:
        """Reply on every answerable ticket of the incident; the others are listed, untouched.

        Each ticket is its own write: a retry (same Idempotency-Key) replays the
        answer; without a key, a retry would answer again.
        """
        tickets = await self.linked(tenant_id, incident_id)
        if not tickets:
            raise NotFound(incident_id)
        replied: list[str] = []
        skipped: list[SkippedTicket] = []
        for ticket in tickets:
            if ticket.status not in ANSWERABLE:
                skipped.append(SkippedTicket(ticket_id=ticket.id, status=ticket.status.value))
                continue
            try:
                await self.tickets.change(
                    tenant_id,
                    ticket.id,
                    lambda t: t.reply(message=message, agent=agent, now=self.intake.clock.now()),
                )
            except IllegalTransition as exc:
                skipped.append(SkippedTicket(ticket_id=ticket.id, status=exc.current.value))
                continue
            replied.append(ticket.id)
        return BulkReplied(incident_id=incident_id, replied=replied, skipped=skipped)


class BulkReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, free_text(min_length=1, max_length=5_000)]


class SkippedTicket(BaseModel):
    ticket_id: str
    status: str


class BulkReplied(BaseModel):
    incident_id: str
    replied: list[str]
    skipped: list[SkippedTicket]
