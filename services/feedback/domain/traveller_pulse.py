"""The NPS cadence: a traveller is asked for NPS at most once per cadence, not every ticket."""

from __future__ import annotations

from datetime import datetime, timedelta

from runtime.aggregate import Aggregate


class TravellerPulse(Aggregate):
    """When we last asked a traveller for NPS: it is asked on a cadence, not every ticket."""

    traveller_id: str
    last_nps_asked_at: datetime | None = None

    @staticmethod
    def id_for(tenant_id: str, traveller_id: str) -> str:
        return f"{tenant_id}/{traveller_id}"

    @classmethod
    def blank(cls, tenant_id: str, traveller_id: str) -> TravellerPulse:
        return cls(
            id=cls.id_for(tenant_id, traveller_id), tenant_id=tenant_id, traveller_id=traveller_id
        )

    def nps_due(self, now: datetime, cadence: timedelta) -> bool:
        return self.last_nps_asked_at is None or now - self.last_nps_asked_at >= cadence

    def asked(self, at: datetime) -> None:
        if self.last_nps_asked_at is None or at > self.last_nps_asked_at:
            self.last_nps_asked_at = at
