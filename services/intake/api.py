"""Intake's HTTP API: contacts in, tickets out, agent actions, traveller tracking."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field

from contracts import events
from contracts.events import Channel, Priority, Traveller
from runtime.signing import TokenError
from runtime.web import TENANT_PATTERN, TenantId
from services.intake.domain import IllegalTransition, Ticket, TicketStatus, TimelineEntry
from services.intake.handlers import Intake


class ContactIn(BaseModel):
    """A contact as a channel gateway posts it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "tenant_id": "acme",
                    "channel": "in_app",
                    "channel_message_id": "app-msg-1001",
                    "traveller": {"id": "trav-42", "name": "Li Lei", "language": "zh-Hans"},
                    "text": "我的航班CA1501被取消了，需要改签",
                }
            ]
        },
    )

    tenant_id: str = Field(pattern=TENANT_PATTERN)
    channel: Channel
    channel_message_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="The gateway's message id; without one, Idempotency-Key is used.",
    )
    traveller: Traveller
    text: str = Field(min_length=1, max_length=20_000)
    subject: str | None = Field(default=None, max_length=500)
    conversation_key: str | None = Field(default=None, max_length=256)
    language_hint: str | None = Field(default=None, max_length=16)
    booking_refs: list[str] = Field(default_factory=list, max_length=20)


class TicketCreated(BaseModel):
    ticket_id: str
    status: TicketStatus
    tracking_url: str
    created: bool


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution_code: str = Field(min_length=1, max_length=64, examples=["answered"])
    message: str = Field(min_length=1, max_length=20_000)
    agent_id: str = Field(min_length=1, max_length=128)


class TicketView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    traveller: Traveller
    subject: str | None
    text: str
    queue: str | None
    assignee: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    resolution_code: str | None
    timeline: list[TimelineEntry]


class TrackingView(BaseModel):
    """What the traveller sees behind the signed link: no internal notes, no agent names."""

    ticket_id: str
    status: TicketStatus
    expected_answer_by: datetime | None
    timeline: list[TimelineEntry]


def view(ticket: Ticket) -> TicketView:
    return TicketView.model_validate(ticket)


def router(intake: Intake) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["tickets"])

    @api.post("/contacts", status_code=status.HTTP_201_CREATED)
    async def post_contact(
        contact: ContactIn,
        response: Response,
        idempotency_key: Annotated[
            str | None, Header(alias="Idempotency-Key", max_length=256)
        ] = None,
    ) -> TicketCreated:
        """Open (or find) the ticket for one contact and acknowledge it at once.

        The same ``channel_message_id`` (or ``Idempotency-Key``) always answers
        with the ticket it opened first: 201 the first time, 200 afterwards.
        """
        message_id = contact.channel_message_id or idempotency_key or uuid.uuid4().hex
        received = events.ContactReceived(
            **contact.model_dump(exclude={"tenant_id", "channel_message_id"}),
            channel_message_id=message_id,
            received_at=intake.clock.now(),
        )
        ticket, created = await intake.receive_contact(contact.tenant_id, received)
        if not created:
            response.status_code = status.HTTP_200_OK
        return TicketCreated(
            ticket_id=ticket.id,
            status=ticket.status,
            tracking_url=intake.tracking_url(ticket.tenant_id, ticket.id),
            created=created,
        )

    @api.get("/tickets/{ticket_id}")
    async def get_ticket(ticket_id: str, tenant: TenantId) -> TicketView:
        """The whole ticket with its timeline, for agents of the ticket's tenant."""
        return view(await intake.get(tenant, ticket_id))

    @api.post("/tickets/{ticket_id}/resolve")
    async def resolve(ticket_id: str, body: ResolveIn, tenant: TenantId) -> TicketView:
        """Resolve with a resolution code; the message goes to the traveller."""
        try:
            ticket = await intake.resolve(
                tenant,
                ticket_id,
                code=body.resolution_code,
                message=body.message,
                agent=body.agent_id,
            )
        except IllegalTransition as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        return view(ticket)

    @api.get("/track/{token}", tags=["travellers"])
    async def track(token: str) -> TrackingView:
        """The traveller's view through the signed, expiring link from the acknowledgement."""
        try:
            claims = intake.signer.verify(token, purpose="track", now=intake.clock.now())
        except TokenError as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown or expired link") from exc
        ticket = await intake.get(claims.tenant, claims.sub)
        return TrackingView(
            ticket_id=ticket.id,
            status=ticket.status,
            expected_answer_by=ticket.first_response_due
            if ticket.first_response_at is None
            else ticket.resolution_due,
            timeline=[e for e in ticket.timeline if e.kind != "note"],
        )

    return api
