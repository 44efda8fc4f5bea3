"""Intake's HTTP API: contacts in (gateways), tickets and actions (staff), tracking (travellers)."""

import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi import status as http
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts import events
from contracts.events import Attachment, BookingReference, Channel, Priority, Traveller
from contracts.text import LanguageTag, Line, Text
from runtime.admission import Admission, AtCapacity
from runtime.auth import Scope, StaffScope
from runtime.errors import StrictJsonRoute, invalid, unprocessable, validation_detail
from runtime.gateway_auth import GatewayScope
from runtime.idempotency import IdempotencyConflict, IdempotentRequests, fingerprint
from runtime.pages import reader_language, wants_html
from runtime.ratelimit import RateLimiter
from runtime.signing import TokenError
from runtime.web import TENANT_PATTERN, schema_ref
from services.intake.attachments import MAX_FILES, IncomingFile, files_of_channel
from services.intake.attachments_api import (
    AttachmentView,
    FilesRefused,
    attachment_views,
    reply_with_files,
    uploaded_files,
)
from services.intake.channels import JSON_PAYLOADS, PayloadError, normalise
from services.intake.domain import (
    ContactRecord,
    IllegalTransition,
    Ticket,
    TicketStatus,
    TimelineEntry,
)
from services.intake.service import Intake, Outcome
from services.intake.store import (
    GatewayKey,
    GatewayKeys,
    InvalidCursor,
    TicketFilter,
    encode_cursor,
)
from services.intake.tracking_view import TrackingView, tracking_view

PAGE_MAX = 100
CHANNEL_BODY_MAX = 1_000_000
"""As on the bus (``channel.message``)."""
CHANNEL_BODIES: dict[str, Any] = {
    "required": True,
    "description": "The channel's own payload: RFC 5322 for email, XML for wechat, JSON for "
    "the others (see docs/api.md for samples).",
    "content": {
        "application/json": {"schema": {"anyOf": [schema_ref(m) for m in JSON_PAYLOADS.values()]}},
        "message/rfc822": {"schema": {"type": "string", "maxLength": CHANNEL_BODY_MAX}},
        "text/xml": {"schema": {"type": "string", "maxLength": CHANNEL_BODY_MAX}},
    },
}
AT_CAPACITY: dict[str, Any] = {
    "description": "Intake is saturated and wrote nothing: retry after `Retry-After` seconds."
}

# ------------------------------------------------------------------ bodies


class ContactIn(BaseModel):
    """A contact already normalised by its gateway."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "in_app",
                    "channel_message_id": "app-msg-1001",
                    "traveller": {"id": "trav-42", "name": "Li Lei", "language": "zh-Hans"},
                    "text": "我的航班CA1501被取消了，需要改签",
                }
            ]
        },
    )

    tenant_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=TENANT_PATTERN,
        description="Must match the key's tenant if given.",
    )
    channel: Channel
    channel_message_id: Line | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="The gateway's message id; without one, Idempotency-Key is used.",
    )
    traveller: Traveller
    text: Text = Field(min_length=1, max_length=20_000)
    subject: Line | None = Field(default=None, max_length=500)
    conversation_key: Line | None = Field(default=None, max_length=256)
    language_hint: LanguageTag | None = None
    references: list[BookingReference] = Field(
        default_factory=list, max_length=20, description="Found in the text when left empty."
    )
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    category_hint: Line | None = Field(default=None, max_length=64)


class ContactAccepted(BaseModel):
    ticket_id: str
    status: TicketStatus
    outcome: Outcome
    tracking_url: str


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: Text = Field(
        min_length=1, max_length=20_000, examples=["已为您改签至CA1503，请查收。"]
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text = Field(min_length=1, max_length=20_000, examples=["Called the airline, waiting."])


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: Line | None = Field(default=None, min_length=1, max_length=64, examples=["disruption"])
    assignee: Line | None = Field(default=None, min_length=1, max_length=128)
    reason: Text | None = Field(default=None, max_length=500)


class WaitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: Literal["traveller", "supplier"]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution_code: Line = Field(min_length=1, max_length=64, examples=["rebooked"])
    message: Text = Field(min_length=1, max_length=20_000, examples=["已为您改签至CA1503"])


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(min_length=1, max_length=500, examples=["that did not help"])


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: Line = Field(min_length=1, max_length=64, description="The ticket that stays open.")


# ------------------------------------------------------------------ views


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
    language: str | None
    category: str | None
    queue: str | None
    assignee: str | None
    references: list[BookingReference]
    repeat_contacts: int
    contacts: list[ContactRecord]
    opened_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    resolution_code: str | None
    merged_into: str | None
    timeline: list[TimelineEntry]
    origin: str = "contact"
    incident_id: str | None = None
    attachments: list[AttachmentView] = Field(default_factory=list)

    @model_validator(mode="after")
    def _downloads(self) -> Self:
        self.attachments = attachment_views(self.id, self.attachments)
        return self


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    subject: str | None
    text: str
    category: str | None
    queue: str | None
    assignee: str | None
    opened_at: datetime
    first_response_due: datetime | None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


REPLY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReplyIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "message": {"type": "string", "maxLength": 20_000},
                        "files": {
                            "type": "array",
                            "maxItems": MAX_FILES,
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            },
        },
    }
}


async def reply_body(request: Request) -> tuple[ReplyIn, list[IncomingFile]]:
    """A reply as JSON, or as a multipart form with files; 422 names what is wrong."""
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            message = form.get("message")
            body = ReplyIn.model_validate({"message": message if isinstance(message, str) else ""})
            return body, await uploaded_files(form)
        return ReplyIn.model_validate_json(await request.body()), []
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc


# ------------------------------------------------------------------ router


def router(
    intake: Intake,
    keys: GatewayKeys,
    idempotency: IdempotentRequests,
    limiter: RateLimiter,
    admission: Admission,
) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=StrictJsonRoute)

    async def gateway(
        x_api_key: Annotated[str | None, Header(alias="X-Api-Key")] = None,
    ) -> GatewayKey:
        """The calling gateway, by its API key; rate-limited per key (429 + Retry-After)."""
        record = await keys.resolve(x_api_key) if x_api_key else None
        if record is None:
            raise HTTPException(http.HTTP_401_UNAUTHORIZED, "a valid X-Api-Key is required")
        wait = limiter.acquire(record.id, record.rate_per_s, time.monotonic())
        if wait:
            raise HTTPException(
                http.HTTP_429_TOO_MANY_REQUESTS,
                "rate limit exceeded",
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        return record

    Gateway = Annotated[GatewayKey, Depends(gateway)]
    IdempotencyKey = Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=256,
            description="Retries with the same key get the first answer.",
        ),
    ]

    async def once(
        scope: str, key: str | None, request: str, produce: Callable[[], Awaitable[tuple[int, Any]]]
    ) -> JSONResponse:
        try:
            if key is None:
                code, body = await produce()
            else:
                code, body = await idempotency.run(
                    scope=scope, key=key, request=request, produce=produce
                )
        except IdempotencyConflict as exc:
            if exc.status == http.HTTP_422_UNPROCESSABLE_CONTENT:
                raise invalid(exc.detail, ("header", "Idempotency-Key")) from exc
            raise HTTPException(exc.status, exc.detail) from exc
        return JSONResponse(body, status_code=code)

    async def accept(
        tenant: str, contact: events.ContactReceived, files: Sequence[IncomingFile] = ()
    ) -> tuple[int, Any]:
        ticket, outcome = await intake.receive_contact(tenant, contact, files=files)
        answer = ContactAccepted(
            ticket_id=ticket.id,
            status=ticket.status,
            outcome=outcome,
            tracking_url=intake.tracking_url(tenant, ticket.id),
        )
        code = http.HTTP_201_CREATED if outcome is Outcome.OPENED else http.HTTP_200_OK
        return code, answer.model_dump(mode="json")

    async def admitted(produce: Callable[[], Awaitable[JSONResponse]]) -> JSONResponse:
        """Shed load with 503 + Retry-After before anything is written, rather than queue
        requests here until the gateway times out; 429 is the key's own rate, this the desk's."""
        try:
            with admission.admit():
                return await produce()
        except AtCapacity as exc:
            raise HTTPException(
                http.HTTP_503_SERVICE_UNAVAILABLE,
                f"intake is at capacity: retry after {exc.retry_after_s} s",
                headers={"Retry-After": str(exc.retry_after_s)},
            ) from exc

    def allowed(key: GatewayKey, channel: Channel) -> None:
        if GatewayScope.CONTACTS_WRITE not in key.scopes:
            raise HTTPException(http.HTTP_403_FORBIDDEN, "this key may not post contacts")
        if key.channels and channel not in key.channels:
            raise HTTPException(
                http.HTTP_403_FORBIDDEN, f"this key may not post {channel} contacts"
            )

    @api.post(
        "/contacts",
        tags=["gateways"],
        status_code=http.HTTP_201_CREATED,
        response_model=ContactAccepted,
        responses={
            200: {"description": "A duplicate or a follow-up of an existing ticket."},
            503: AT_CAPACITY,
        },
    )
    async def post_contact(
        contact: ContactIn, key: Gateway, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """Open a ticket for a normalised contact, or thread it into its conversation.

        201 with ``outcome: opened`` for a new ticket (acknowledged at once);
        200 with ``followed_up`` or ``duplicate`` otherwise.
        """
        if contact.tenant_id not in (None, key.tenant_id):
            raise HTTPException(http.HTTP_403_FORBIDDEN, "this key belongs to another tenant")
        allowed(key, contact.channel)
        received = events.ContactReceived(
            **contact.model_dump(exclude={"tenant_id", "channel_message_id"}),
            channel_message_id=contact.channel_message_id or idempotency_key or uuid.uuid4().hex,
            received_at=intake.clock.now(),
        )
        return await admitted(
            lambda: once(
                key.id,
                idempotency_key,
                fingerprint("contacts", contact.model_dump_json()),
                lambda: accept(key.tenant_id, received),
            )
        )

    @api.post(
        "/channels/{channel}/contacts",
        tags=["gateways"],
        status_code=http.HTTP_201_CREATED,
        response_model=ContactAccepted,
        responses={503: AT_CAPACITY},
        openapi_extra={"requestBody": CHANNEL_BODIES},
    )
    async def post_channel_contact(
        channel: Channel, request: Request, key: Gateway, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """A channel's native payload, normalised here (threading as for ``/contacts``)."""
        allowed(key, channel)
        body = await request.body()
        try:
            if len(body) > CHANNEL_BODY_MAX:
                raise PayloadError("body", f"longer than {CHANNEL_BODY_MAX:,} bytes")
            contact = normalise(channel, body, intake.clock.now())
            files = files_of_channel(channel, body)
        except PayloadError as exc:
            loc = ("body", *exc.field.split("."))
            return unprocessable(
                validation_detail([{"loc": loc, "msg": exc.message, "type": "payload"}])
            )
        return await admitted(
            lambda: once(
                key.id,
                idempotency_key,
                fingerprint("channel", channel.value, body),
                lambda: accept(key.tenant_id, contact, files),
            )
        )

    @api.get("/tickets", tags=["tickets"])
    async def list_tickets(
        scope: StaffScope,
        status: TicketStatus | None = None,
        queue: Annotated[str | None, Query(max_length=64)] = None,
        assignee: Annotated[str | None, Query(max_length=128)] = None,
        category: Annotated[str | None, Query(max_length=64)] = None,
        q: Annotated[str | None, Query(max_length=200, description="Text or ticket id")] = None,
        cursor: Annotated[str | None, Query(max_length=512)] = None,
        limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 25,
    ) -> TicketPage:
        """Tickets of the caller's tenant, newest first, a page at a time."""
        where = TicketFilter(
            status=status.value if status else None,
            queue=queue,
            assignee=assignee,
            category=category,
            text=q,
        )
        try:
            found = await intake.tickets.search(scope.tenant, where, cursor, limit + 1)
        except InvalidCursor as exc:
            raise invalid(str(exc), ("query", "cursor")) from exc
        page = found[:limit]
        return TicketPage(
            items=[TicketSummary.model_validate(t) for t in page],
            next_cursor=encode_cursor(page[-1]) if len(found) > limit else None,
        )

    @api.get("/tickets/{ticket_id}", tags=["tickets"])
    async def get_ticket(ticket_id: str, scope: StaffScope) -> TicketView:
        """The whole ticket with its timeline."""
        return TicketView.model_validate(await intake.get(scope.tenant, ticket_id))

    async def action(
        scope: Scope,
        ticket_id: str,
        key: str | None,
        body: BaseModel | None,
        change: Callable[[Ticket], None],
        name: str,
    ) -> JSONResponse:
        async def produce() -> tuple[int, Any]:
            try:
                ticket = await intake.act(scope.tenant, ticket_id, change)
            except IllegalTransition as exc:
                raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc
            return http.HTTP_200_OK, TicketView.model_validate(ticket).model_dump(mode="json")

        request = fingerprint(name, ticket_id, body.model_dump_json() if body else "")
        return await once(f"{scope.tenant}:{scope.actor}", key, request, produce)

    ticket_action = {
        "tags": ["agent actions"],
        "response_model": TicketView,
        "responses": {
            404: {"description": "No such ticket in your tenant."},
            409: {"description": "Not allowed in the ticket's status."},
        },
    }

    @api.post(
        "/tickets/{ticket_id}/reply",
        **ticket_action,  # type: ignore[arg-type]
        openapi_extra=REPLY_BODY,
    )
    async def reply(
        ticket_id: str, request: Request, scope: StaffScope, key: IdempotencyKey = None
    ) -> JSONResponse:
        """Answer the traveller; notify delivers it on their channel and language.

        JSON ``{"message"}``, or ``multipart/form-data`` with ``message`` and one or more
        ``files`` (the traveller gets them as e-mail attachments, elsewhere as links).
        """
        body, files = await reply_body(request)
        now = intake.clock.now()

        def change(attachments: Sequence[Attachment] = ()) -> Callable[[Ticket], None]:
            return lambda t: t.reply(
                message=body.message, agent=scope.actor, now=now, attachments=attachments
            )

        if not files:
            return await action(scope, ticket_id, key, body, change(), "reply")

        async def produce() -> tuple[int, Any]:
            try:
                ticket = await reply_with_files(intake, scope.tenant, ticket_id, change, files)
            except FilesRefused as exc:
                raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
            except IllegalTransition as exc:
                raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc
            return http.HTTP_200_OK, TicketView.model_validate(ticket).model_dump(mode="json")

        digests = [hashlib.sha256(f.content).hexdigest() for f in files]
        request_id = fingerprint("reply", ticket_id, body.model_dump_json(), *digests)
        return await once(f"{scope.tenant}:{scope.actor}", key, request_id, produce)

    @api.post("/tickets/{ticket_id}/notes", **ticket_action)  # type: ignore[arg-type]
    async def note(
        ticket_id: str, body: NoteIn, scope: StaffScope, key: IdempotencyKey = None
    ) -> JSONResponse:
        """An internal note: on the timeline, never sent to the traveller."""
        now = intake.clock.now()
        return await action(
            scope,
            ticket_id,
            key,
            body,
            lambda t: t.note(text=body.text, agent=scope.actor, now=now),
            "note",
        )

    @api.post("/tickets/{ticket_id}/transfer", **ticket_action)  # type: ignore[arg-type]
    async def transfer(
        ticket_id: str, body: TransferIn, scope: StaffScope, key: IdempotencyKey = None
    ) -> JSONResponse:
        """Move the ticket to another queue or agent (routing learns from it)."""
        if not (body.queue or body.assignee):
            raise invalid("give a queue or an assignee", ("body",))
        now = intake.clock.now()
        return await action(
            scope,
            ticket_id,
            key,
            body,
            lambda t: t.transfer(
                queue=body.queue,
                assignee=body.assignee,
                reason=body.reason,
                by=scope.actor,
                now=now,
            ),
            "transfer",
        )

    @api.post("/tickets/{ticket_id}/wait", **ticket_action)  # type: ignore[arg-type]
    async def wait(
        ticket_id: str, body: WaitIn, scope: StaffScope, key: IdempotencyKey = None
    ) -> JSONResponse:
        """Waiting on the traveller or a supplier (the SLA clock pauses)."""
        now = intake.clock.now()
        return await action(
            scope,
            ticket_id,
            key,
            body,
            lambda t: t.wait(on=body.on, by=scope.actor, now=now),
            "wait",
        )

    @api.post("/tickets/{ticket_id}/resume", **ticket_action)  # type: ignore[arg-type]
    async def resume(ticket_id: str, scope: StaffScope, key: IdempotencyKey = None) -> JSONResponse:
        now = intake.clock.now()
        return await action(
            scope, ticket_id, key, None, lambda t: t.resume(by=scope.actor, now=now), "resume"
        )

    @api.post("/tickets/{ticket_id}/resolve", **ticket_action)  # type: ignore[arg-type]
    async def resolve(
        ticket_id: str, body: ResolveIn, scope: StaffScope, key: IdempotencyKey = None
    ) -> JSONResponse:
        """Resolve with a resolution code; the message goes to the traveller, then a survey."""
        now = intake.clock.now()
        return await action(
            scope,
            ticket_id,
            key,
            body,
            lambda t: t.resolve(
                code=body.resolution_code, message=body.message, agent=scope.actor, now=now
            ),
            "resolve",
        )

    @api.post("/tickets/{ticket_id}/reopen", **ticket_action)  # type: ignore[arg-type]
    async def reopen(
        ticket_id: str, body: ReopenIn, scope: StaffScope, key: IdempotencyKey = None
    ) -> JSONResponse:
        now = intake.clock.now()
        return await action(
            scope,
            ticket_id,
            key,
            body,
            lambda t: t.reopen(reason=body.reason, by=scope.actor, now=now),
            "reopen",
        )

    @api.post("/tickets/{ticket_id}/close", **ticket_action)  # type: ignore[arg-type]
    async def close(ticket_id: str, scope: StaffScope, key: IdempotencyKey = None) -> JSONResponse:
        now = intake.clock.now()
        return await action(
            scope, ticket_id, key, None, lambda t: t.close(by=scope.actor, now=now), "close"
        )

    @api.post("/tickets/{ticket_id}/merge", **ticket_action)  # type: ignore[arg-type]
    async def merge(ticket_id: str, body: MergeIn, scope: StaffScope) -> TicketView:
        """Close this duplicate into ``into``; its conversations follow."""
        try:
            merged = await intake.merge(scope.tenant, ticket_id, body.into, scope.actor)
        except IllegalTransition as exc:
            raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc
        return TicketView.model_validate(merged)

    def tracked(token: str) -> tuple[str, str]:
        """Tenant and ticket id of a tracking link; 404 for a forged or expired one."""
        try:
            claims = intake.signer.verify(token, purpose="track", now=intake.clock.now())
        except TokenError as exc:
            raise HTTPException(http.HTTP_404_NOT_FOUND, "unknown or expired link") from exc
        return claims.tenant, claims.sub

    def view_for(ticket: Ticket, request: Request) -> TrackingView:
        return tracking_view(
            ticket, reader_language(request, ticket.traveller.language or ticket.language)
        )

    @api.get("/track/{token}", tags=["travellers"], response_model=TrackingView)
    async def track(token: str, request: Request) -> TrackingView | RedirectResponse:
        """The traveller's view through the signed, expiring link in the acknowledgement:
        status, team, when to expect an answer, the steps and the words sent to them —
        never notes, routing's reasons, SLA alarms or agent ids (the page shows the same).

        A browser is sent on to the same link's HTML page (``/track/{token}``).
        """
        if wants_html(request.headers.get("accept")):
            return RedirectResponse(f"/track/{token}", status_code=http.HTTP_303_SEE_OTHER)
        tenant, ticket_id = tracked(token)
        return view_for(await intake.get(tenant, ticket_id), request)

    @api.post(
        "/track/{token}/not-helped",
        tags=["travellers"],
        responses={409: {"description": "Nothing to reopen: the ticket is open or closed."}},
    )
    async def not_helped(token: str, request: Request) -> TrackingView:
        """ "That did not help": the answer (the bot's or an agent's) did not solve it.

        The ticket reopens at once, with raised priority, and routing hands it to
        a person; the bot never answers it again.
        """
        tenant, ticket_id = tracked(token)
        now = intake.clock.now()
        try:
            ticket = await intake.act(
                tenant,
                ticket_id,
                lambda t: t.reopen(reason="that did not help", by=t.traveller.id, now=now),
            )
        except IllegalTransition as exc:
            raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc
        return view_for(ticket, request)

    return api
