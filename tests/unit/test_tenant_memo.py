"""Tenant configuration is read once per TTL per process, and forgotten when written here."""

from __future__ import annotations

from runtime.cache import TenantMemo


class Reads:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> int:
        self.count += 1
        return self.count


async def test_a_read_is_served_from_memory_until_the_ttl_passes() -> None:
    now = [100.0]
    memo, reads = TenantMemo(2.0, lambda: now[0]), Reads()

    assert [await memo.get("acme", "policy", reads) for _ in range(3)] == [1, 1, 1]
    now[0] += 2.0
    assert await memo.get("acme", "policy", reads) == 2


async def test_a_write_forgets_only_that_tenant() -> None:
    memo, acme, globex = TenantMemo(60.0), Reads(), Reads()
    await memo.get("acme", "queues", acme)
    await memo.get("globex", "queues", globex)

    memo.forget("acme")

    assert await memo.get("acme", "queues", acme) == 2
    assert await memo.get("globex", "queues", globex) == 1


async def test_a_zero_ttl_reads_every_time() -> None:
    memo, reads = TenantMemo(0), Reads()
    assert [await memo.get("acme", "policy", reads) for _ in range(2)] == [1, 2]
