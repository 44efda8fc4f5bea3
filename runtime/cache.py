"""A per-process memo of tenant configuration: every message reads it, people rarely change it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class TenantMemo:
    """Each read of a tenant's configuration served from memory for ``ttl_s``.

    Routing read the tenant's policy, SLA policy, queues and articles for every
    new ticket: four of its twenty store commands per ticket. A write through
    this process forgets the tenant at once; other replicas see it within
    ``ttl_s``, as they would see any event a moment later.
    """

    def __init__(self, ttl_s: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._monotonic = monotonic
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}

    async def get(self, tenant_id: str, what: str, load: Callable[[], Awaitable[T]]) -> T:
        now = self._monotonic()
        entry = self._entries.get((tenant_id, what))
        if entry is not None and entry[0] > now:
            return cast(T, entry[1])
        value = await load()
        self._entries[(tenant_id, what)] = (now + self.ttl_s, value)
        return value

    def forget(self, tenant_id: str) -> None:
        for key in [k for k in self._entries if k[0] == tenant_id]:
            del self._entries[key]
