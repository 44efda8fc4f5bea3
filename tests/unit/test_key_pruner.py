"""The care-key pruner (services/routing/care/key_pruner.py) prunes with routing's clock and
keeps going after a failed round."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

from runtime.clock import FakeClock
from services.routing.care.key_pruner import KeyPruner
from services.routing.care.store import CareStore

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


class Keys:
    def __init__(self) -> None:
        self.asked: list[datetime] = []
        self.twice = asyncio.Event()

    async def prune_keys(self, now: datetime) -> int:
        self.asked.append(now)
        if len(self.asked) == 1:
            raise ConnectionError("store away")
        self.twice.set()
        return 3


async def test_the_pruner_asks_at_routings_now_and_survives_a_failed_round() -> None:
    keys = Keys()
    pruner = KeyPruner(cast(CareStore, keys), FakeClock(NOW), every=timedelta(milliseconds=10))
    pruner.start()
    await asyncio.wait_for(keys.twice.wait(), 5)
    await pruner.stop(1.0)

    assert keys.asked[:2] == [NOW, NOW]
    assert await pruner.prune() == 3
