"""The API's writes of one tenant document: create or change it retrying races, delete it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from runtime.aggregate import Aggregate
from runtime.store import AlreadyExists, ConcurrencyError, NotFound, Repository

A = TypeVar("A", bound=Aggregate)
WRITE_RETRIES = 10


async def put(
    repo: Repository[A],
    tenant_id: str,
    key: str,
    create: Callable[[], A],
    change: Callable[[A], None],
) -> tuple[A, bool]:
    """Create or change one document, retrying races; returns it and whether it was new."""
    for _ in range(WRITE_RETRIES):
        current = await repo.get(tenant_id, key)
        try:
            if current is None:
                current = create()
                change(current)
                await repo.add(current)
                return current, True
            change(current)
            await repo.save(current)
            return current, False
        except (AlreadyExists, ConcurrencyError):
            continue
    raise ConcurrencyError(key)


async def delete(repo: Repository[A], tenant_id: str, key: str, *, named: str) -> None:
    """Delete ``key``; a 404 names it as the caller did (``named``), not by its stored key."""
    result = await repo.collection.delete_one({"_id": key, "tenant_id": tenant_id})
    if result.deleted_count == 0:
        raise NotFound(named)
