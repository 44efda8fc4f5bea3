"""Queues: the tenant's own and the default ones it has not redefined."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from contracts.taxonomy import CATEGORIES, Category
from contracts.text import one_line
from runtime.auth import ManagerScope, StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.store import ConcurrencyError, NotFound
from services.routing.api.deps import StoreDep
from services.routing.api.models import CREATED, NAME
from services.routing.api.writes import WRITE_RETRIES, delete, put
from services.routing.assignment.domain.queues import (
    DEFAULT_QUEUE_IDS,
    RESERVED_QUEUES,
    TenantQueue,
    category_holder,
    claim_holder,
    claimed,
)
from services.routing.store import RoutingStore

router = APIRouter(prefix="/v1", tags=["queues"], route_class=StrictJsonRoute)


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, one_line(min_length=1, max_length=200)]
    categories: list[Category] = Field(
        default_factory=list, max_length=len(CATEGORIES), description="None: a catch-all desk."
    )
    expert_only: StrictBool = False


class QueueView(BaseModel):
    id: str
    name: str
    categories: list[str]
    expert_only: bool
    source: Literal["tenant", "default"]


@router.get("/queues")
async def list_queues(scope: StaffScope, store: StoreDep) -> list[QueueView]:
    """The tenant's queues, then the default ones it has not redefined, in lookup order."""
    own = {q.queue_id for q in await store.tenant_queues(scope.tenant)}
    return [
        QueueView(
            id=q.id,
            name=q.name,
            categories=list(q.categories),
            expert_only=q.expert_only,
            source="tenant" if q.id in own else "default",
        )
        for q in (await store.catalogue(scope.tenant)).values()
    ]


@router.put(
    "/queues/{queue_id}",
    responses={
        **CREATED,
        409: {"description": "Another of the tenant's queues already takes a category."},
    },
)
async def put_queue(
    queue_id: Annotated[str, Path(pattern=NAME)],
    body: QueueIn,
    scope: ManagerScope,
    response: Response,
    store: StoreDep,
) -> QueueView:
    """Define a queue, or redefine a default one, for this tenant."""
    if queue_id in RESERVED_QUEUES and body.categories:
        raise invalid(f"{queue_id} is a catch-all desk", ("body", "categories"))
    version = await claim(store, scope.tenant, queue_id, body.categories)

    def change(queue: TenantQueue) -> None:
        if queue.claims_version > version:
            return  # a later PUT of this queue claimed after this one: its definition stands
        queue.name = body.name
        queue.categories = list(body.categories)
        queue.expert_only = body.expert_only
        queue.claims_version = version

    key = TenantQueue.key(scope.tenant, queue_id)
    queue, new = await put(
        store.queues,
        scope.tenant,
        key,
        lambda: TenantQueue(id=key, tenant_id=scope.tenant, queue_id=queue_id, name=body.name),
        change,
    )
    store.memo.forget(scope.tenant)
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return QueueView(
        id=queue.queue_id,
        name=queue.name,
        categories=queue.categories,
        expert_only=queue.expert_only,
        source="tenant",
    )


async def claim(store: RoutingStore, tenant: str, queue_id: str, categories: Sequence[str]) -> int:
    """Claim ``categories`` for ``queue_id`` in the tenant's claims, by a conditional write,
    before the queue is written; the claims' new version. 409 when another of the tenant's
    queues lists one (a queue written before the claims existed) or has claimed it."""
    for _ in range(WRITE_RETRIES):
        holders, version = await store.category_claims(tenant)
        own = [q.definition() for q in await store.tenant_queues(tenant)]
        held = category_holder(own, queue_id, categories) or claim_holder(
            holders, queue_id, categories
        )
        if held is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"category {held[0]} is already taken by queue {held[1]}"
            )
        if await store.write_claims(tenant, claimed(holders, queue_id, categories), version):
            return version + 1
    raise ConcurrencyError(f"queue claims of {tenant}")


@router.delete(
    "/queues/{queue_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "A default queue the tenant has not redefined."}},
)
async def delete_queue(queue_id: str, scope: ManagerScope, store: StoreDep) -> None:
    """Drop the tenant's definition; a default queue of that id takes over again. A default
    queue itself stays: rules and transfers count on it; redefine it instead."""
    try:
        await delete(
            store.queues, scope.tenant, TenantQueue.key(scope.tenant, queue_id), named=queue_id
        )
    except NotFound:
        if queue_id in DEFAULT_QUEUE_IDS:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"{queue_id} is a default queue: it cannot be deleted, only redefined (PUT)",
            ) from None
        raise
    finally:  # its claims go with it, as do those of a PUT whose queue write never landed
        await claim(store, scope.tenant, queue_id, [])
    store.memo.forget(scope.tenant)
