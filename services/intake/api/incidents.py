"""The bulk reply to an incident: every open ticket of it in the agent's tenant, at once."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.idempotency import (
    IdempotencyDep,
    IdempotencyKey,
    body_fingerprints,
    of_staff,
    once,
)
from services.intake.api.deps import IncidentDeskDep
from services.intake.incidents import BulkReplied, BulkReplyIn

router = APIRouter(prefix="/v1", tags=["incidents"], route_class=StrictJsonRoute)


@router.post(
    "/incidents/{incident_id}/reply",
    response_model=BulkReplied,
    responses={404: {"description": "No ticket of this incident in your tenant."}},
)
async def bulk_reply(
    incident_id: str,
    body: BulkReplyIn,
    scope: StaffScope,
    desk: IncidentDeskDep,
    idempotency: IdempotencyDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Answer every open ticket of an incident — proactive ones and contacts clustered
    into it — in your tenant only; closed or resolved ones are listed as skipped. Each
    traveller is sent the text of their language (`messages`), else `message`, else the
    English text, else the first written."""

    async def produce() -> tuple[int, object]:
        done = await desk.reply_all(scope.tenant, incident_id, body, scope.actor)
        return 200, done.model_dump(mode="json")

    request, older = body_fingerprints(body, "incident-reply", incident_id, added=["messages"])
    return await once(idempotency, of_staff(scope), key, request, produce, older=older)
