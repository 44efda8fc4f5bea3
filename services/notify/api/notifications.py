"""The delivery log: every delivery for one ticket, for staff of its tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from services.notify.api.deps import NotifierDep
from services.notify.api.models import DeliveryView, find

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)


@router.get("/notifications")
async def delivery_log(
    scope: StaffScope,
    ticket_id: Annotated[str, Query(min_length=1, max_length=64)],
    notifier: NotifierDep,
) -> list[DeliveryView]:
    """Every delivery for one ticket, oldest first: status, attempts, channel, times."""
    return await find(
        notifier.deliveries, {"tenant_id": scope.tenant, "ticket_id": ticket_id}, sort=1
    )
