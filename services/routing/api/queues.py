"""Queues: the tenant's own and the default ones it has not redefined."""

from __future__ import annotations

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
    PendingQueue,
    TenantQueue,
    category_holder,
    claim_holder,
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
    version = await claim(store, scope.tenant, queue_id, body)
    queue, new = await write_queue(store, scope.tenant, queue_id, pending(body, version))
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return QueueView(
        id=queue.queue_id,
        name=queue.name,
        categories=queue.categories,
        expert_only=queue.expert_only,
        source="tenant",
    )


async def claim(store: RoutingStore, tenant: str, queue_id: str, body: QueueIn | None) -> int:
    """Claim the categories of ``body`` (None: none) for ``queue_id`` in the tenant's claims,
    by a conditional write, before the queue is written; the claims' new version. Another
    queue's PUT that claimed and never wrote its queue (it died between the two) is written
    first, from the definition its claim kept. 409 when another of the tenant's queues
    lists one (a queue written before the claims existed) or has claimed it."""
    categories = [] if body is None else list(body.categories)
    for _ in range(WRITE_RETRIES):
        claims = await store.category_claims(tenant)
        own = await store.tenant_queues(tenant)
        for other, unwritten in claims.unfinished(own, queue_id).items():
            await write_queue(store, tenant, other, unwritten)
        held = category_holder([q.definition() for q in own], queue_id, categories)
        held = held or claim_holder(claims.holders, queue_id, categories)
        if held is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"category {held[0]} is already taken by queue {held[1]}"
            )
        definition = None if body is None else pending(body, claims.version + 1)
        if await store.write_claims(tenant, claims.claim(queue_id, definition)):
            return claims.version + 1
    raise ConcurrencyError(f"queue claims of {tenant}")


def pending(body: QueueIn, version: int) -> PendingQueue:
    return PendingQueue(
        version=version,
        name=body.name,
        categories=list(body.categories),
        expert_only=body.expert_only,
    )


async def write_queue(
    store: RoutingStore, tenant: str, queue_id: str, definition: PendingQueue
) -> tuple[TenantQueue, bool]:
    """Write the queue a claim was made for; of two claims of one queue the later one's
    definition stands. The queue and whether it was new."""
    key = TenantQueue.key(tenant, queue_id)
    written = await put(
        store.queues,
        tenant,
        key,
        lambda: TenantQueue(id=key, tenant_id=tenant, queue_id=queue_id, name=definition.name),
        definition.write_to,
    )
    store.memo.forget(tenant)
    return written


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
        await claim(store, scope.tenant, queue_id, None)
    store.memo.forget(scope.tenant)
