"""The agent console: queues sorted by SLA deadline, a ticket's whole story, and the actions.

Server-rendered HTML forms (post, then redirect back), so every action works
without JavaScript; ``static/console.js`` adds the live SLA clocks, live queue
updates over server-sent events and the one-click suggested answer. Actions run
the same domain methods as the JSON API, on the latest version of the ticket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import status as http
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from starlette.background import BackgroundTask

from contracts.events import Attachment
from contracts.languages import LANGUAGES
from runtime.auth import Scope
from runtime.clock import epoch_ms
from runtime.errors import StrictJsonRoute, printable
from runtime.pages import (
    reader_language,
    serve_static,
)
from runtime.readers import Unavailable
from runtime.staff_pages import StaffPages
from runtime.staff_session import COOKIE, StaffSession, same_site
from runtime.store import NotFound
from runtime.web import MAX_ECHO
from services.intake.api.files import download, uploaded_files
from services.intake.api.models import NoteIn, ReplyIn, ResolveIn, TransferIn, WaitIn
from services.intake.attachments import IncomingFile
from services.intake.console_store import open_tickets
from services.intake.domain import Decider, IllegalTransition, NotTheReviewer, Ticket
from services.intake.domain.deliveries import with_deliveries
from services.intake.domain.sla_clock import RunningClock, clock_of, deadline_ms
from services.intake.incidents import IncidentDesk
from services.intake.live_feed import LiveFeed
from services.intake.notify_reader import NotifyReader
from services.intake.pages.bulk_reply import bulk_reply_in
from services.intake.pages.form_errors import form_problems
from services.intake.pages.refusals import refusal_text
from services.intake.routing_reader import RoutingReader
from services.intake.service import Intake, reply_with_files
from services.intake.transfers import Transfer, transfer_ticket

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "templates"
STATIC = {
    "console.js": ("static/console.js", "text/javascript"),
    "console.css": ("static/console.css", "text/css"),
}
ACTIONS = ("reply", "note", "transfer", "wait", "resume", "resolve")


@dataclass(frozen=True)
class Row:
    """One ticket in a queue list."""

    ticket: Ticket
    clock: RunningClock | None


@dataclass(frozen=True)
class Queue:
    name: str
    rows: list[Row]


def queues_of(tickets: list[Ticket], me: str, intake: Intake) -> list[Queue]:
    """Mine first, then every queue by name; each sorted by its running deadline."""
    now = intake.clock.now()
    ordered = sorted(tickets, key=lambda t: (deadline_ms(t), t.id))
    rows = [Row(t, clock_of(t, now)) for t in ordered]
    by_queue: dict[str, list[Row]] = {}
    for row in rows:
        by_queue.setdefault(row.ticket.queue or "", []).append(row)
    mine = Queue(name="@mine", rows=[r for r in rows if r.ticket.assignee == me])
    return [mine, *(Queue(name=name, rows=found) for name, found in sorted(by_queue.items()))]


def _body(action: str, form: dict[str, str]) -> BaseModel | None:
    """The action's body, validated by the API's own models (same limits, same messages)."""
    fields = {k: v for k, v in form.items() if v.strip()}
    models: dict[str, type[BaseModel]] = {
        "reply": ReplyIn,
        "note": NoteIn,
        "transfer": TransferIn,
        "wait": WaitIn,
        "resolve": ResolveIn,
    }
    model = models.get(action)
    if model is None:
        return None
    allowed = set(model.model_fields)
    return model.model_validate({k: v for k, v in fields.items() if k in allowed})


def _reply_with(
    body: ReplyIn, actor: str, intake: Intake
) -> Callable[[Sequence[Attachment]], Callable[[Ticket], None]]:
    now = intake.clock.now()
    return lambda files: (
        lambda t: t.reply(message=body.message, agent=actor, now=now, attachments=files)
    )


def _change(
    action: str, body: BaseModel | None, scope: Scope, intake: Intake
) -> Callable[[Ticket], None]:
    now, actor = intake.clock.now(), scope.actor
    if isinstance(body, ReplyIn):
        return lambda t: t.reply(message=body.message, agent=actor, now=now)
    if isinstance(body, NoteIn):
        return lambda t: t.note(text=body.text, agent=actor, now=now)
    if isinstance(body, WaitIn):
        return lambda t: t.wait(on=body.on, by=actor, now=now)
    if isinstance(body, ResolveIn):
        decider = Decider(actor, scope.principal.role.value)

        def resolve(t: Ticket) -> None:
            t.check_decider(decider, "resolve")  # an appeal is decided by its reviewers
            t.resolve(code=body.resolution_code, message=body.message, agent=actor, now=now)

        return resolve
    return lambda t: t.resume(by=actor, now=now)


def _refused_status(exc: Exception) -> int:
    """The API's status for the same refusal: 409 not in this status, 403 not the appeal's
    reviewer, else 422 (a transfer's target, a file)."""
    if isinstance(exc, IllegalTransition):
        return http.HTTP_409_CONFLICT
    if isinstance(exc, NotTheReviewer):
        return http.HTTP_403_FORBIDDEN
    return http.HTTP_422_UNPROCESSABLE_CONTENT


class Console:
    """What the console's pages are given (``main.bootstrap`` puts one on ``app.state``)."""

    def __init__(
        self,
        intake: Intake,
        session: StaffSession,
        feed: LiveFeed,
        routing: RoutingReader,
        desk: IncidentDesk,
        notify: NotifyReader,
    ) -> None:
        self.intake = intake
        self.session = session
        self.feed = feed
        self.routing = routing
        self.desk = desk
        self.notify = notify
        self.pages = StaffPages(session, TEMPLATES, TEMPLATES / "console" / "messages.json")

    def page(
        self, request: Request, scope: Scope, name: str, code: int = 200, **values: Any
    ) -> HTMLResponse:
        """A console page on the staff base (``runtime.staff_pages``)."""
        return self.pages.render(
            request,
            f"console/{name}.html",
            code,
            scope=scope,
            me=scope.actor,
            role=scope.principal.role.value,
            tenant=scope.tenant,
            tenants=scope.principal.tenants,
            server_now_ms=epoch_ms(self.intake.clock.now()),
            **values,
        )

    def missing(self, request: Request, scope: Scope, ticket_id: str) -> HTMLResponse:
        """The not-found page names the id as asked, cut as every error answer cuts it."""
        return self.page(request, scope, "missing", 404, ticket_id=printable(ticket_id, MAX_ECHO))

    async def lists(self, scope: Scope) -> list[Queue]:
        tickets = await open_tickets(self.intake.tickets, scope.tenant)
        return queues_of(tickets, scope.actor, self.intake)

    async def ticket_page(
        self,
        request: Request,
        scope: Scope,
        ticket: Ticket,
        code: int = 200,
        error: str | None = None,
    ) -> HTMLResponse:
        language = ticket.language or ticket.traveller.language or "en"
        incident_id = ticket.incident_id
        token, tenant = request.cookies.get(COOKIE, ""), ticket.tenant_id
        info, delivered = await asyncio.gather(
            self.routing.case_info(
                token, tenant, ticket.id, ticket.text, language, incident_id, ticket.traveller.id
            ),
            self.notify.delivered(token, tenant, ticket.id),
        )
        return self.page(
            request,
            scope,
            "ticket",
            code,
            ticket=ticket,
            timeline=with_deliveries(ticket.timeline, delivered or []),
            deliveries_unavailable=delivered is None,
            clock=clock_of(ticket, self.intake.clock.now()),
            info=info,
            reply_language=language,
            error=error,
            done=request.query_params.get("done"),
            incident_id=incident_id,
            languages=LANGUAGES,
            bulk={k: request.query_params.get(k) for k in ("replied", "skipped")},
        )

    async def run(
        self,
        scope: Scope,
        ticket_id: str,
        action: str,
        form: dict[str, str],
        files: Sequence[IncomingFile],
        token: str,
    ) -> None:
        """The action on the latest version of the ticket (raises what the form shows);
        a transfer asks routing first, as the signed-in person (``token``), like the API."""
        body = _body(action, form)
        if isinstance(body, ReplyIn) and files:
            reply = _reply_with(body, scope.actor, self.intake)
            await reply_with_files(self.intake, scope.tenant, ticket_id, reply, files)
        elif isinstance(body, TransferIn):
            move = Transfer(body.queue, body.assignee, body.reason, scope.actor)
            await transfer_ticket(self.intake, self.routing, token, scope.tenant, ticket_id, move)
        else:
            change = _change(action, body, scope, self.intake)
            await self.intake.act(scope.tenant, ticket_id, change)


async def get_console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


ConsoleDep = Annotated[Console, Depends(get_console)]
QUEUES_READ = frozenset({"lang", "tenant"})
"""The queues page's only parameters: any other (``status``, ``cursor``…) would be a
filter it silently ignores, so it is refused (422) instead of answering every queue."""
router = APIRouter(prefix="/console", include_in_schema=False, route_class=StrictJsonRoute)


@router.get("")
async def queues(request: Request, console: ConsoleDep) -> Response:
    """The signed-in person's queues."""
    scope = console.session.scope(request)
    if scope is None:
        return console.session.login_redirect(request)
    unread = sorted({name for name in request.query_params if name not in QUEUES_READ})
    if unread:
        names = [printable(name, 64) for name in unread[:10]]
        return console.page(request, scope, "refused", 422, names=names)
    return console.page(request, scope, "queues", queues=await console.lists(scope))


def signed_out() -> HTTPException:
    """What the pages' scripts fetch without a session: a 401 that says so, not an empty one."""
    return HTTPException(http.HTTP_401_UNAUTHORIZED, "sign in to the console first")


def no_attachment() -> HTTPException:
    return HTTPException(http.HTTP_404_NOT_FOUND, "no such attachment")


@router.get("/queues")
async def queue_fragment(request: Request, console: ConsoleDep) -> Response:
    """Just the lists: what the live update swaps in without a reload."""
    scope = console.session.scope(request)
    if scope is None:
        raise signed_out()
    return console.page(request, scope, "queue_lists", queues=await console.lists(scope))


@router.get("/events")
async def events(request: Request, console: ConsoleDep) -> Response:
    """Server-sent events: a ``ticket`` event whenever one of the tenant's tickets changes."""
    scope = console.session.scope(request)
    if scope is None:
        raise signed_out()
    listener = await console.feed.listen(scope.tenant)
    return StreamingResponse(
        console.feed.stream(scope.tenant, listener),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        # the stream's own ``finally`` leaves too; this covers a client gone before its first line
        background=BackgroundTask(console.feed.leave, scope.tenant, listener),
    )


@router.get("/tickets/{ticket_id}")
async def ticket_detail(ticket_id: str, request: Request, console: ConsoleDep) -> Response:
    scope = console.session.scope(request)
    if scope is None:
        return console.session.login_redirect(request)
    try:
        ticket = await console.intake.get(scope.tenant, ticket_id)
    except NotFound:
        return console.missing(request, scope, ticket_id)
    return await console.ticket_page(request, scope, ticket)


@router.post("/tickets/{ticket_id}/{action}", dependencies=[Depends(same_site)])
async def act(ticket_id: str, action: str, request: Request, console: ConsoleDep) -> Response:
    """One agent action from a form; errors re-show the ticket with the reason, unchanged."""
    scope = console.session.scope(request)
    if scope is None:
        return console.session.login_redirect(request, back=f"/console/tickets/{ticket_id}")
    if action not in ACTIONS:
        return console.missing(request, scope, ticket_id)
    submitted = await request.form()
    form = {k: v for k, v in submitted.items() if isinstance(v, str)}
    files = await uploaded_files(submitted) if action == "reply" else []
    t = console.pages.words(reader_language(request))
    try:
        ticket = await console.intake.get(scope.tenant, ticket_id)
    except NotFound:
        return console.missing(request, scope, ticket_id)
    try:
        await console.run(scope, ticket_id, action, form, files, request.cookies.get(COOKIE, ""))
    except ValidationError as exc:
        error = f"{t['error_unchanged']} {form_problems(exc, t)}"
        return await console.ticket_page(request, scope, ticket, 422, error)
    except Unavailable:
        return await console.ticket_page(request, scope, ticket, 503, t["error_routing_down"])
    except (ValueError, IllegalTransition, NotTheReviewer) as exc:
        error = f"{t['error_unchanged']} {refusal_text(exc, t, action)}"
        return await console.ticket_page(request, scope, ticket, _refused_status(exc), error)
    return Response(
        status_code=303, headers={"Location": f"/console/tickets/{ticket_id}?done={action}"}
    )


@router.get("/tickets/{ticket_id}/attachments/{file_id}")
async def attachment(
    ticket_id: str, file_id: str, request: Request, console: ConsoleDep
) -> Response:
    """A file of the ticket, for the signed-in staff of its tenant (404 otherwise)."""
    scope = console.session.scope(request)
    if scope is None:
        return console.session.login_redirect(request)
    intake = console.intake
    try:
        ticket = await intake.get(scope.tenant, ticket_id)
    except NotFound as exc:
        raise no_attachment() from exc
    stored = None
    if intake.files is not None and any(a.id == file_id for a in ticket.attachments):
        stored = await intake.files.open(scope.tenant, file_id)
    if stored is None:
        raise no_attachment()
    return download(stored)


@router.post("/incidents/{incident_id}/reply", dependencies=[Depends(same_site)])
async def bulk_reply(incident_id: str, request: Request, console: ConsoleDep) -> Response:
    """One answer to every open ticket of a disruption; back to the ticket it was sent from."""
    scope = console.session.scope(request)
    if scope is None:
        return console.session.login_redirect(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        ticket = await console.intake.get(scope.tenant, form.get("ticket_id", ""))
    except NotFound:
        return console.missing(request, scope, form.get("ticket_id", ""))
    t = console.pages.words(reader_language(request))
    try:
        body = bulk_reply_in(form)
        done = await console.desk.reply_all(scope.tenant, incident_id, body, scope.actor)
    except ValidationError as exc:
        error = f"{t['error_unchanged']} {form_problems(exc, t)}"
        return await console.ticket_page(request, scope, ticket, 422, error)
    except NotFound:
        return console.missing(request, scope, incident_id)
    counts = f"replied={len(done.replied)}&skipped={len(done.skipped)}"
    return Response(
        status_code=303,
        headers={"Location": f"/console/tickets/{ticket.id}?done=bulk_reply&{counts}"},
    )


serve_static(router, ROOT, STATIC)
