"""Contacts in, from gateways: normalised ones, and each channel's native payload."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi import status as http
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from contracts import events
from contracts.events import Channel
from runtime.errors import StrictJsonRoute, json_invalid, unprocessable, validation_detail
from runtime.gateway_auth import GatewayScope
from runtime.idempotency import IdempotencyDep, IdempotencyKey, fingerprint, once
from services.intake.api.answers import admitted
from services.intake.api.deps import AdmissionDep, Gateway, IntakeDep
from services.intake.api.models import (
    AT_CAPACITY,
    CHANNEL_BODIES,
    CHANNEL_BODY_MAX,
    ContactAccepted,
    ContactIgnored,
    ContactIn,
)
from services.intake.attachments import FILE_CHANNELS, IncomingFile, read_payload
from services.intake.channels import PayloadError
from services.intake.service import Intake, NotTaken, Outcome
from services.intake.store import GatewayKey

router = APIRouter(prefix="/v1", tags=["gateways"], route_class=StrictJsonRoute)
IGNORED: dict[str, Any] = {
    "model": ContactIgnored,
    "description": "A bounce or auto-reply that names no ticket: not taken, not answered.",
}
FOLLOWED: dict[str, Any] = {
    "model": ContactAccepted,
    "description": "A duplicate, a follow-up of an open ticket, or an automatic mail recorded "
    "on its ticket (`outcome`).",
}


async def accept(
    intake: Intake,
    tenant: str,
    contact: events.ContactReceived,
    files: Sequence[IncomingFile] = (),
) -> tuple[int, Any]:
    try:
        ticket, outcome = await intake.receive_contact(tenant, contact, files=files)
    except NotTaken as exc:
        ignored = ContactIgnored(reason=str(exc))
        return http.HTTP_202_ACCEPTED, ignored.model_dump(mode="json")
    answer = ContactAccepted(
        ticket_id=ticket.id,
        status=ticket.status,
        outcome=outcome,
        tracking_url=intake.tracking_url(tenant, ticket.id),
    )
    code = http.HTTP_201_CREATED if outcome is Outcome.OPENED else http.HTTP_200_OK
    return code, answer.model_dump(mode="json")


def allowed(key: GatewayKey, channel: Channel) -> None:
    if GatewayScope.CONTACTS_WRITE not in key.scopes:
        raise HTTPException(http.HTTP_403_FORBIDDEN, "this key may not post contacts")
    if key.channels and channel not in key.channels:
        raise HTTPException(http.HTTP_403_FORBIDDEN, f"this key may not post {channel} contacts")


@router.post(
    "/contacts",
    status_code=http.HTTP_201_CREATED,
    response_model=ContactAccepted,
    responses={
        200: FOLLOWED,
        202: IGNORED,
        503: AT_CAPACITY,
    },
)
async def post_contact(
    contact: ContactIn,
    request: Request,
    key: Gateway,
    intake: IntakeDep,
    idempotency: IdempotencyDep,
    admission: AdmissionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a ticket for a normalised contact, or thread it into its conversation.

    201 with ``outcome: opened`` for a new ticket (acknowledged at once);
    200 with ``followed_up`` or ``duplicate`` otherwise.
    """
    if contact.tenant_id not in (None, key.tenant_id):
        raise HTTPException(http.HTTP_403_FORBIDDEN, "this key belongs to another tenant")
    allowed(key, contact.channel)
    received = events.ContactReceived(
        **contact.model_dump(exclude={"tenant_id", "channel_message_id", "text"}),
        text=contact.stated_text(),
        channel_message_id=contact.channel_message_id or idempotency_key or uuid.uuid4().hex,
        received_at=intake.clock.now(),
    )
    return await admitted(
        admission,
        lambda: once(
            idempotency,
            key.id,
            idempotency_key,
            fingerprint("contacts", contact.model_dump_json()),
            lambda: accept(intake, key.tenant_id, received),
        ),
        request,
    )


@router.post(
    "/channels/{channel}/contacts",
    status_code=http.HTTP_201_CREATED,
    response_model=ContactAccepted,
    responses={200: FOLLOWED, 202: IGNORED, 503: AT_CAPACITY},
    openapi_extra={"requestBody": CHANNEL_BODIES},
)
async def post_channel_contact(
    channel: Channel,
    request: Request,
    key: Gateway,
    intake: IntakeDep,
    idempotency: IdempotencyDep,
    admission: AdmissionDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A channel's native payload, normalised here (threading as for ``/contacts``)."""
    allowed(key, channel)
    body = await request.body()
    try:
        if len(body) > CHANNEL_BODY_MAX and channel not in FILE_CHANNELS:
            raise PayloadError("body", f"longer than {CHANNEL_BODY_MAX:,} bytes")
        contact, files = read_payload(channel, body, intake.clock.now(), intake.file_policy)
    except json.JSONDecodeError as exc:  # worded as any body that is not JSON, by its type
        raise RequestValidationError([json_invalid(exc)]) from exc
    except PayloadError as exc:
        loc = ("body", *exc.loc)
        return unprocessable(
            validation_detail([{"loc": loc, "msg": exc.message, "type": "payload"}])
        )
    return await admitted(
        admission,
        lambda: once(
            idempotency,
            key.id,
            idempotency_key,
            fingerprint("channel", channel.value, body),
            lambda: accept(intake, key.tenant_id, contact, files),
        ),
        request,
    )
