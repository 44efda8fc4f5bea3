"""The delivery log: every delivery for one ticket, for staff of its tenant, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.paging import InvalidCursor
from runtime.store import Repository
from services.notify.api.deps import NotifierDep
from services.notify.api.models import (
    PAGE,
    DeliveryPage,
    DeliveryView,
    find_page,
    for_staff,
)
from services.notify.domain.delivery import Delivery

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=StrictJsonRoute)


@router.get("/notifications")
async def delivery_log(
    scope: StaffScope,
    ticket_id: Annotated[str, Query(min_length=1, max_length=64)],
    notifier: NotifierDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE)] = PAGE,
) -> DeliveryPage:
    """The ticket's deliveries, oldest first, a page at a time (``next_cursor`` continues
    it): status, attempts, channel, times. A notice that went out inside a digest has the
    digest's ``delivered_at``. The traveller's signed links are ``[redacted]``."""
    where = {"tenant_id": scope.tenant, "ticket_id": ticket_id}
    try:
        page = await find_page(notifier.deliveries, where, cursor, limit)
    except InvalidCursor as exc:
        raise invalid(str(exc), ("query", "cursor")) from exc
    items = await with_digest_times(notifier.deliveries, scope.tenant, page.items)
    return page.model_copy(update={"items": [for_staff(item) for item in items]})


async def with_digest_times(
    deliveries: Repository[Delivery], tenant_id: str, found: list[DeliveryView]
) -> list[DeliveryView]:
    leaders = {v.digested_into for v in found if v.digested_into and v.delivered_at is None}
    if not leaders:
        return found
    sent = deliveries.collection.find({"_id": {"$in": sorted(leaders)}, "tenant_id": tenant_id})
    when = {d["_id"]: Delivery.model_validate(d).delivered_at async for d in sent}
    return [
        v.model_copy(update={"delivered_at": when.get(v.digested_into)})
        if v.digested_into and v.delivered_at is None
        else v
        for v in found
    ]
