"""Attachments over HTTP: staff downloads, the traveller's signed links, replies with files.

A download is served with the type intake sniffed (never the sender's claim),
``X-Content-Type-Options: nosniff``, a sandboxing CSP and ``Content-Disposition:
attachment`` with the safe name (ASCII fallback plus RFC 5987 UTF-8), so a file
never runs as a page of ours. Staff see files of their tenant's tickets only
(404 otherwise); a traveller opens exactly the files an agent sent them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi import status as http
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData, UploadFile

from contracts.events import Attachment
from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.signing import TokenError
from runtime.store import NotFound
from services.intake.attachment_store import StoredFile
from services.intake.attachments import Checked, IncomingFile, check, safe_filename
from services.intake.domain import Ticket
from services.intake.service import Intake

FILE_LINK_TTL = timedelta(days=90)
FILE_PURPOSE = "file"


class AttachmentView(BaseModel):
    """A file on the ticket; ``download_url`` (staff) is set for stored ones."""

    model_config = ConfigDict(from_attributes=True)

    id: str | None
    name: str
    content_type: str
    size: int
    source: str
    by: str
    added_at: datetime
    url: str | None = Field(default=None, description="Where a linked file is (the gateway).")
    refused: bool = Field(default=False, description="Not kept: type or size not accepted.")
    download_url: str | None = None


def attachment_views(ticket_id: str, attachments: Sequence[object]) -> list[AttachmentView]:
    views = [AttachmentView.model_validate(a) for a in attachments]
    for view in views:
        if view.id:
            view.download_url = f"/v1/tickets/{ticket_id}/attachments/{view.id}"
    return views


class FilesRefused(ValueError):
    """An agent's file was not accepted: nothing was written."""

    def __init__(self, refused: Sequence[Checked]) -> None:
        reasons = "; ".join(f"{c.name}: {c.reason}" for c in refused)
        super().__init__(reasons or "files are not stored by this intake")


def file_link(intake: Intake, tenant_id: str, ticket_id: str, file_id: str) -> str:
    """A signed, expiring link to one file of one ticket, for the traveller."""
    token = intake.signer.sign(
        subject=f"{ticket_id}/{file_id}",
        tenant=tenant_id,
        purpose=FILE_PURPOSE,
        expires_at=intake.clock.now() + FILE_LINK_TTL,
    )
    return f"{intake.public_url}/v1/files/{token}"


async def reply_with_files(
    intake: Intake,
    tenant_id: str,
    ticket_id: str,
    reply: Callable[[Sequence[Attachment]], Callable[[Ticket], None]],
    files: Sequence[IncomingFile],
) -> Ticket:
    """Store the agent's files, then the reply that refers to them; a refused file or a
    refused reply (404, 409) writes nothing, or discards what it wrote.
    """
    checked = check(files, intake.file_policy)
    if refused := [c for c in checked if not c.kept]:
        raise FilesRefused(refused)
    if intake.files is None:
        raise FilesRefused([])
    await intake.get(tenant_id, ticket_id)
    stored = await intake.files.put(tenant_id, checked, "agent")
    linked = [
        a.model_copy(update={"url": file_link(intake, tenant_id, ticket_id, a.id or "")})
        for a in stored
    ]
    try:
        ticket = await intake.act(tenant_id, ticket_id, reply(linked))
    except Exception:
        await intake.files.discard(stored)
        raise
    await intake.files.keep(stored)
    return ticket


async def uploaded_files(form: FormData, field: str = "files") -> list[IncomingFile]:
    """The files of a multipart form (empty file inputs are skipped)."""
    found: list[IncomingFile] = []
    for value in form.getlist(field):
        if isinstance(value, UploadFile) and value.filename:
            content = await value.read()
            if content:
                found.append(IncomingFile(value.filename, value.content_type or "", content))
    return found


def download(stored: StoredFile) -> StreamingResponse:
    name = safe_filename(stored.name)
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return StreamingResponse(
        stored.chunks,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(stored.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


def router(intake: Intake) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=StrictJsonRoute)
    not_found = HTTPException(http.HTTP_404_NOT_FOUND, "no such attachment")

    async def serve(tenant_id: str, ticket_id: str, file_id: str) -> StreamingResponse:
        try:
            ticket = await intake.get(tenant_id, ticket_id)
        except NotFound as exc:
            raise not_found from exc
        if intake.files is None or all(a.id != file_id for a in ticket.attachments):
            raise not_found
        stored = await intake.files.open(tenant_id, file_id)
        if stored is None:
            raise not_found
        return download(stored)

    @api.get(
        "/tickets/{ticket_id}/attachments/{file_id}",
        tags=["tickets"],
        response_class=StreamingResponse,
        responses={404: {"description": "No such file on a ticket of your tenant."}},
    )
    async def staff_download(ticket_id: str, file_id: str, scope: StaffScope) -> StreamingResponse:
        """A file of the ticket, for staff of its tenant."""
        return await serve(scope.tenant, ticket_id, file_id)

    @api.get("/files/{token}", tags=["travellers"], response_class=StreamingResponse)
    async def traveller_download(token: str) -> StreamingResponse:
        """A file an agent sent, through the signed link in their message."""
        try:
            claims = intake.signer.verify(token, purpose=FILE_PURPOSE, now=intake.clock.now())
        except TokenError as exc:
            raise not_found from exc
        ticket_id, _, file_id = claims.sub.partition("/")
        return await serve(claims.tenant, ticket_id, file_id)

    return api
