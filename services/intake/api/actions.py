"""Agent actions on one ticket: reply (with files), note, transfer, wait, resume, resolve,
reopen, close, merge. Each answers the whole ticket; 409 when its status forbids it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi import status as http
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from contracts.events import Attachment
from runtime.auth import Scope, StaffScope, bearer_token
from runtime.errors import StrictJsonRoute, body_invalid, invalid, parse_body
from runtime.idempotency import (
    IdempotencyDep,
    IdempotencyKey,
    IdempotentRequests,
    Produce,
    fingerprint,
    of_staff,
    once,
)
from runtime.readers import Unavailable
from services.intake.api.deps import IntakeDep, RoutingDep
from services.intake.api.files import uploaded_files
from services.intake.api.models import (
    REPLY_BODY,
    MergeIn,
    NoteIn,
    ReopenIn,
    ReplyIn,
    ResolveIn,
    TicketView,
    TransferIn,
    WaitIn,
)
from services.intake.attachments import IncomingFile
from services.intake.domain import Decider, IllegalTransition, NotTheReviewer, Ticket
from services.intake.routing_reader import RETRY_AFTER_S
from services.intake.service import FilesRefused, Intake, reply_with_files
from services.intake.transfers import Transfer, TransferRefused, transfer_ticket

router = APIRouter(
    prefix="/v1/tickets",
    tags=["agent actions"],
    route_class=StrictJsonRoute,
    responses={
        404: {"description": "No such ticket in your tenant."},
        409: {"description": "Not allowed in the ticket's status."},
    },
)
REPLY_FIELDS = frozenset({"message", "files"})
"""What a multipart reply holds; any other field is refused as a JSON reply's would be."""
EXTRA = "extra_forbidden"
REVIEW_ONLY: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "An appeal of the ticket is under review and you are not its reviewer "
        "(docs/feedback.md#who-decides-an-appeal); nothing was changed."
    }
}


@dataclass(frozen=True)
class Actor:
    """The signed-in agent acting on their tenant's tickets, once per Idempotency-Key."""

    scope: Scope
    intake: Intake
    idempotency: IdempotentRequests

    @property
    def decider(self) -> Decider:
        return Decider(self.scope.actor, self.scope.principal.role.value)

    def deciding(self, change: Callable[[Ticket], None], wanted: str) -> Callable[[Ticket], None]:
        """``change`` (a resolve or close) only if the caller may decide a pending appeal."""

        def decide(ticket: Ticket) -> None:
            ticket.check_decider(self.decider, wanted)
            change(ticket)

        return decide

    async def act(
        self,
        ticket_id: str,
        key: str | None,
        body: BaseModel | None,
        change: Callable[[Ticket], None],
        name: str,
    ) -> JSONResponse:
        """``change`` on the latest version of the ticket."""
        tenant = self.scope.tenant
        return await self.write(
            ticket_id, key, body, lambda: self.intake.act(tenant, ticket_id, change), name
        )

    async def write(
        self,
        ticket_id: str,
        key: str | None,
        body: BaseModel | None,
        use_case: Callable[[], Awaitable[Ticket]],
        name: str,
    ) -> JSONResponse:
        """The use case once per key, answering the whole ticket (409 if illegal)."""

        async def produce() -> tuple[int, Any]:
            try:
                ticket = await use_case()
            except IllegalTransition as exc:
                raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc
            except NotTheReviewer as exc:
                raise HTTPException(http.HTTP_403_FORBIDDEN, str(exc)) from exc
            return http.HTTP_200_OK, TicketView.model_validate(ticket).model_dump(mode="json")

        request = fingerprint(name, ticket_id, body.model_dump_json() if body else "")
        return await self.run(key, request, produce)

    async def run(self, key: str | None, request: str, produce: Produce) -> JSONResponse:
        return await once(self.idempotency, of_staff(self.scope), key, request, produce)


async def actor(scope: StaffScope, intake: IntakeDep, idempotency: IdempotencyDep) -> Actor:
    return Actor(scope, intake, idempotency)


ActorDep = Annotated[Actor, Depends(actor)]


async def reply_body(request: Request) -> tuple[ReplyIn, list[IncomingFile]]:
    """A reply as JSON, or as a multipart form with files; 422 names what is wrong."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return parse_body(ReplyIn, await request.body()), []
    form = await request.form()
    unknown = sorted(set(form.keys()) - REPLY_FIELDS)
    if unknown:  # a file under another name would be dropped unsaid
        raise RequestValidationError(
            [
                {"loc": ("body", name), "msg": "Extra inputs are not permitted", "type": EXTRA}
                for name in unknown
            ]
        )
    message = form.get("message")
    try:
        body = ReplyIn.model_validate({"message": message if isinstance(message, str) else ""})
    except ValidationError as exc:
        raise body_invalid(exc) from exc
    return body, await uploaded_files(form)


@router.post("/{ticket_id}/reply", response_model=TicketView, openapi_extra=REPLY_BODY)
async def reply(
    ticket_id: str, request: Request, agent: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Answer the traveller; notify delivers it on their channel and language.

    JSON ``{"message"}``, or ``multipart/form-data`` with ``message`` and one or more
    ``files`` (the traveller gets them as e-mail attachments, elsewhere as links).
    """
    body, files = await reply_body(request)
    intake, scope = agent.intake, agent.scope
    now = intake.clock.now()

    def change(attachments: Sequence[Attachment] = ()) -> Callable[[Ticket], None]:
        return lambda t: t.reply(
            message=body.message, agent=scope.actor, now=now, attachments=attachments
        )

    if not files:
        return await agent.act(ticket_id, key, body, change(), "reply")

    async def produce() -> tuple[int, Any]:
        try:
            ticket = await reply_with_files(intake, scope.tenant, ticket_id, change, files)
        except FilesRefused as exc:
            raise invalid(str(exc), ("body", "files")) from exc
        except IllegalTransition as exc:
            raise HTTPException(http.HTTP_409_CONFLICT, str(exc)) from exc
        return http.HTTP_200_OK, TicketView.model_validate(ticket).model_dump(mode="json")

    digests = [hashlib.sha256(f.content).hexdigest() for f in files]
    return await agent.run(
        key, fingerprint("reply", ticket_id, body.model_dump_json(), *digests), produce
    )


@router.post("/{ticket_id}/notes", response_model=TicketView)
async def note(
    ticket_id: str, body: NoteIn, agent: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    """An internal note: on the timeline, never sent to the traveller."""
    by, now = agent.scope.actor, agent.intake.clock.now()
    return await agent.act(
        ticket_id, key, body, lambda t: t.note(text=body.text, agent=by, now=now), "note"
    )


@router.post(
    "/{ticket_id}/transfer",
    response_model=TicketView,
    responses={503: {"description": "Routing did not answer: nothing was changed, retry."}},
)
async def transfer(
    ticket_id: str,
    body: TransferIn,
    agent: ActorDep,
    routing: RoutingDep,
    key: IdempotencyKey = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JSONResponse:
    """Move the ticket to another queue or agent routing knows (routing learns from it).

    A queue or agent routing does not know is a 422 naming the field; when routing does
    not answer in time, 503 + Retry-After. Either way nothing is written.
    """
    move = Transfer(body.queue, body.assignee, body.reason, agent.scope.actor)
    token, tenant = bearer_token(authorization), agent.scope.tenant

    async def use_case() -> Ticket:
        try:
            return await transfer_ticket(agent.intake, routing, token, tenant, ticket_id, move)
        except TransferRefused as exc:
            raise RequestValidationError(
                [{"loc": ("body", f), "msg": why.text, "type": why.code} for f, why in exc.problems]
            ) from exc
        except Unavailable as exc:
            raise HTTPException(
                http.HTTP_503_SERVICE_UNAVAILABLE,
                f"routing did not answer: nothing was changed, retry after {RETRY_AFTER_S} s",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from exc

    return await agent.write(ticket_id, key, body, use_case, "transfer")


@router.post("/{ticket_id}/wait", response_model=TicketView)
async def wait(
    ticket_id: str, body: WaitIn, agent: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Waiting on the traveller or a supplier (the SLA clock pauses)."""
    by, now = agent.scope.actor, agent.intake.clock.now()
    return await agent.act(
        ticket_id, key, body, lambda t: t.wait(on=body.on, by=by, now=now), "wait"
    )


@router.post("/{ticket_id}/resume", response_model=TicketView)
async def resume(ticket_id: str, agent: ActorDep, key: IdempotencyKey = None) -> JSONResponse:
    by, now = agent.scope.actor, agent.intake.clock.now()
    return await agent.act(ticket_id, key, None, lambda t: t.resume(by=by, now=now), "resume")


@router.post("/{ticket_id}/resolve", response_model=TicketView, responses=REVIEW_ONLY)
async def resolve(
    ticket_id: str, body: ResolveIn, agent: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Resolve with a resolution code; the message goes to the traveller, then a survey.

    While an appeal is under review only its reviewers may (403 otherwise)."""
    by, now = agent.scope.actor, agent.intake.clock.now()

    def change(t: Ticket) -> None:
        t.resolve(code=body.resolution_code, message=body.message, agent=by, now=now)

    return await agent.act(ticket_id, key, body, agent.deciding(change, "resolve"), "resolve")


@router.post("/{ticket_id}/reopen", response_model=TicketView)
async def reopen(
    ticket_id: str, body: ReopenIn, agent: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    by, now = agent.scope.actor, agent.intake.clock.now()
    return await agent.act(
        ticket_id, key, body, lambda t: t.reopen(reason=body.reason, by=by, now=now), "reopen"
    )


@router.post("/{ticket_id}/close", response_model=TicketView, responses=REVIEW_ONLY)
async def close(ticket_id: str, agent: ActorDep, key: IdempotencyKey = None) -> JSONResponse:
    """Close for good. While an appeal is under review only its reviewers may (403 otherwise)."""
    by, now = agent.scope.actor, agent.intake.clock.now()

    def change(t: Ticket) -> None:
        t.close(by=by, now=now)

    return await agent.act(ticket_id, key, None, agent.deciding(change, "close"), "close")


@router.post("/{ticket_id}/merge", response_model=TicketView, responses=REVIEW_ONLY)
async def merge(
    ticket_id: str, body: MergeIn, agent: ActorDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Close this duplicate into ``into``, a ticket of the same traveller (409 otherwise);
    its conversations follow. A duplicate under appeal only by the appeal's reviewers
    (403 otherwise)."""
    tenant, by, role = agent.scope.tenant, agent.decider.id, agent.decider.role
    return await agent.write(
        ticket_id,
        key,
        body,
        lambda: agent.intake.merge(tenant, ticket_id, body.into, by, role),
        "merge",
    )
