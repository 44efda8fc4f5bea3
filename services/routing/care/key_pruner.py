"""The care-key pruner: now and then takes out of the care keys the members long over
(a ``runtime.service.Worker``), so a traveller's key lists their live bookings, not every
booking they ever had. What goes and why a reader never misses it: ``CareStore.prune_keys``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from runtime.clock import Clock
from runtime.periodic import Periodic
from services.routing.care.store import CareStore

log = logging.getLogger(__name__)

EVERY = timedelta(hours=6)


class KeyPruner(Periodic):
    """Prunes the care keys every ``EVERY`` (replicas may overlap: pruning is idempotent)."""

    def __init__(self, store: CareStore, clock: Clock, every: timedelta = EVERY) -> None:
        super().__init__(
            "care-key-pruner", every.total_seconds(), self.prune, failure="care keys not pruned"
        )
        self.store = store
        self.clock = clock

    async def prune(self) -> int:
        pruned = await self.store.prune_keys(self.clock.now())
        if pruned:
            log.info("pruned %d care-key members over for a day", pruned)
        return pruned
