"""The corrections agents made, as the triage trainer's JSON lines (for the tenant's managers)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from runtime.auth import ManagerScope
from runtime.errors import StrictJsonRoute
from runtime.query_times import QueryInstant
from services.routing.api.deps import StoreDep
from services.routing.triage.corrections import training_rows

router = APIRouter(prefix="/v1", tags=["learning"], route_class=StrictJsonRoute)


@router.get(
    "/corrections",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def export_corrections(
    scope: ManagerScope,
    store: StoreDep,
    since: Annotated[QueryInstant | None, Query(description="A date or ISO time.")] = None,
) -> Response:
    """The tenant's corrections as the triage trainer's JSON lines (personal data masked)."""
    rows = training_rows(await store.corrections(scope.tenant, since))
    body = b"".join(orjson.dumps(row) + b"\n" for row in rows)
    return Response(body, media_type="application/x-ndjson")
