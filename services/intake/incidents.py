"""Intake's side of proactive care: proactive tickets, incident links and the bulk reply.

- ``proactive.contact`` (routing) opens one ticket per affected traveller and
  incident, or tells them of a material change on the ticket they have; a traveller
  whose own open ticket names the disrupted flight or train is told on that one.
- ``incident.linked`` (routing) marks a traveller's own ticket as part of an incident.
- ``POST /v1/incidents/{id}/reply`` answers every open ticket of the incident in
  the agent's tenant at once, each in its traveller's language when the desk wrote
  it: one ``ticket.replied`` per ticket.
- ``incident.resolved`` (routing: a manager closed the incident resolving its tickets)
  resolves every ticket of it still open in that tenant: one ``ticket.resolved`` each,
  which notify tells the traveller like any resolution.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, model_validator
from pymongo.asynchronous.database import AsyncDatabase

from contracts import events
from contracts.envelope import Envelope
from contracts.language_texts import LanguageTexts
from contracts.references import normal_reference
from runtime.store import AlreadyExists, ConcurrencyError, Document, NotFound
from services.intake.domain import (
    ANSWERABLE,
    IllegalTransition,
    Ticket,
    proactive_thread_key,
    ticket_id_for,
)
from services.intake.domain.language import reader_language
from services.intake.domain.proactive import join_disruption, joining_ticket, matched_kind
from services.intake.service import Intake
from services.intake.store import TICKETS
from services.intake.ticket_events import apply_to_ticket
from services.intake.ticket_keys import conversation_key, reference_key, ticket_ids


class Telling(Protocol):
    """``Ticket.disruption_changed`` or ``join_disruption``: a revision told on a ticket that
    exists (a proactive one, or the traveller's own it joined)."""

    def __call__(
        self,
        ticket: Ticket,
        request: events.ProactiveContactRequested,
        /,
        *,
        tracking_url: str,
        now: datetime,
    ) -> None: ...


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
        """Open the traveller's proactive ticket, or tell them of the change on it (once); a
        disruption of a flight or train their own open ticket names joins that ticket instead
        (``joining_ticket``, docs/suppliers.md). One read of the threading keys finds either
        (#20: opening a proactive ticket, or telling it a revision, costs what it did)."""
        tenant_id, request = envelope.tenant_id, envelope.payload
        thread_key = proactive_thread_key(request.incident_id, request.traveller.id)
        own_key, ticket_id = (
            conversation_key(tenant_id, thread_key),
            ticket_id_for(tenant_id, thread_key),
        )
        reference = normal_reference(request.reference, request.resource)
        named_key = reference_key(tenant_id, request.traveller.id, reference)
        keyed = await self.intake.tickets.keyed(
            (own_key, named_key) if matched_kind(request.resource) is not None else (own_key,)
        )
        now = self.intake.clock.now()
        if ticket_id in ticket_ids(keyed.get(own_key, [])):
            try:
                return await self._tell(envelope, ticket_id, Ticket.disruption_changed, now)
            except NotFound:  # a key whose ticket write failed: the ticket opens below
                pass
        named = ticket_ids(keyed.get(named_key, []))
        joined = joining_ticket(await self._load(tenant_id, named), request)
        if joined is not None:
            return await self._tell(envelope, joined.id, join_disruption, now)
        tracking_url = self.intake.tracking_url(tenant_id, ticket_id)
        ticket = Ticket.open_proactive(tenant_id, request, tracking_url=tracking_url, now=now)
        await self.intake.tickets.index(ticket)
        try:
            await self.tickets.add(ticket, envelope)
        except AlreadyExists as exc:  # a concurrent delivery opened it: apply to that one
            raise ConcurrencyError(ticket_id) from exc
        return ticket

    async def _tell(
        self,
        envelope: Envelope[events.ProactiveContactRequested],
        ticket_id: str,
        tell: Telling,
        now: datetime,
    ) -> Ticket:
        """Tell the disruption on a ticket that exists, once per message and revision."""
        url = self.intake.tracking_url(envelope.tenant_id, ticket_id)
        return await self.tickets.apply(
            envelope, ticket_id, lambda t: tell(t, envelope.payload, tracking_url=url, now=now)
        )

    async def _load(self, tenant_id: str, ticket_ids: list[str]) -> list[Ticket]:
        """The tickets a key leads to (none read when it leads nowhere)."""
        if not ticket_ids:
            return []
        query = {"_id": {"$in": sorted(ticket_ids)}, "tenant_id": tenant_id}
        return [Ticket.model_validate(doc) async for doc in self.tickets.collection.find(query)]

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
        self, tenant_id: str, incident_id: str, reply: BulkReplyIn, agent: str
    ) -> BulkReplied:
        """Reply on every answerable ticket of the incident, each in the text of its
        traveller's language (``BulkReplyIn.text_for``); the others are listed, untouched.

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
                    lambda t: t.reply(
                        message=reply.text_for(reader_language(t)),
                        agent=agent,
                        now=self.intake.clock.now(),
                    ),
                )
            except IllegalTransition as exc:
                skipped.append(SkippedTicket(ticket_id=ticket.id, status=exc.current.value))
                continue
            replied.append(ticket.id)
        return BulkReplied(incident_id=incident_id, replied=replied, skipped=skipped)


class BulkReplyIn(LanguageTexts):
    """One text for everyone (`message`), one per language (`messages`), or both: a desk
    answering travellers of several languages writes each once."""

    @model_validator(mode="after")
    def _something_to_send(self) -> BulkReplyIn:
        self.default_text()
        return self


class SkippedTicket(BaseModel):
    ticket_id: str
    status: str


class BulkReplied(BaseModel):
    incident_id: str
    replied: list[str]
    skipped: list[SkippedTicket]
