"""Attachments over HTTP: staff downloads and the traveller's signed links.

A download is served with the type intake sniffed (never the sender's claim),
``X-Content-Type-Options: nosniff``, a sandboxing CSP and ``Content-Disposition:
attachment`` with the safe name (ASCII fallback plus RFC 5987 UTF-8), so a file
never runs as a page of ours. Staff see files of their tenant's tickets only
(404 otherwise); a traveller opens exactly the files an agent sent them.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi import status as http
from fastapi.responses import StreamingResponse

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.signing import TokenError
from runtime.store import NotFound
from services.intake.api.deps import IntakeDep
from services.intake.api.files import download
from services.intake.service import FILE_PURPOSE, Intake

router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)


def not_found() -> HTTPException:
    return HTTPException(http.HTTP_404_NOT_FOUND, "no such attachment")


async def serve(intake: Intake, tenant_id: str, ticket_id: str, file_id: str) -> StreamingResponse:
    try:
        ticket = await intake.get(tenant_id, ticket_id)
    except NotFound as exc:
        raise not_found() from exc
    if intake.files is None or all(a.id != file_id for a in ticket.attachments):
        raise not_found()
    stored = await intake.files.open(tenant_id, file_id)
    if stored is None:
        raise not_found()
    return download(stored)


@router.get(
    "/tickets/{ticket_id}/attachments/{file_id}",
    tags=["tickets"],
    response_class=StreamingResponse,
    responses={404: {"description": "No such file on a ticket of your tenant."}},
)
async def staff_download(
    ticket_id: str, file_id: str, scope: StaffScope, intake: IntakeDep
) -> StreamingResponse:
    """A file of the ticket, for staff of its tenant."""
    return await serve(intake, scope.tenant, ticket_id, file_id)


@router.get("/files/{token}", tags=["travellers"], response_class=StreamingResponse)
async def traveller_download(token: str, intake: IntakeDep) -> StreamingResponse:
    """A file an agent sent, through the signed link in their message."""
    try:
        claims = intake.signer.verify(token, purpose=FILE_PURPOSE, now=intake.clock.now())
    except TokenError as exc:
        raise not_found() from exc
    ticket_id, _, file_id = claims.sub.partition("/")
    return await serve(intake, claims.tenant, ticket_id, file_id)
