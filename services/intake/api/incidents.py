"""The bulk reply to an incident: every open ticket of it in the agent's tenant, at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.idempotency import IdempotencyConflict, fingerprint
from services.intake.api.deps import IdempotencyDep, IncidentDeskDep
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
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=256),
    ] = None,
) -> JSONResponse:
    """Answer every open ticket of an incident — proactive ones and contacts clustered
    into it — in your tenant only; closed or resolved ones are listed as skipped."""

    async def produce() -> tuple[int, object]:
        done = await desk.reply_all(scope.tenant, incident_id, body.message, scope.actor)
        return 200, done.model_dump(mode="json")

    if key is None:
        code, answer = await produce()
        return JSONResponse(answer, status_code=code)
    try:
        code, answer = await idempotency.run(
            scope=f"{scope.tenant}:{scope.actor}",
            key=key,
            request=fingerprint("incident-reply", incident_id, body.model_dump_json()),
            produce=produce,
        )
    except IdempotencyConflict as exc:
        if exc.status == 422:
            raise invalid(exc.detail, ("header", "Idempotency-Key")) from exc
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)
    return JSONResponse(answer, status_code=code)
