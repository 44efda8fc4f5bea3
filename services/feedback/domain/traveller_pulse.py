"""The NPS cadence: a traveller is asked for NPS at most once per cadence, not every ticket.

Only an ask that stands counts: a survey withdrawn before it was answered (its resolution
no longer stood) gave the traveller no chance to answer, so it asked nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, Field

from runtime.aggregate import Aggregate


class NpsAsk(BaseModel):
    """One survey that asked for NPS; ``withdrawn`` sticks, whichever was recorded first."""

    survey_id: str
    at: datetime
    withdrawn: bool = False


class TravellerPulse(Aggregate):
    """When we asked a traveller for NPS: it is asked on a cadence, not every ticket."""

    ASKS_KEPT: ClassVar[int] = 8
    """Asks are a cadence apart unless withdrawn, so the newest few decide; the oldest go."""

    traveller_id: str
    last_nps_asked_at: datetime | None = None
    """An ask recorded before asks were kept per survey (never withdrawn)."""
    asks: list[NpsAsk] = Field(default_factory=list)

    @staticmethod
    def id_for(tenant_id: str, traveller_id: str) -> str:
        return f"{tenant_id}/{traveller_id}"

    @classmethod
    def blank(cls, tenant_id: str, traveller_id: str) -> TravellerPulse:
        return cls(
            id=cls.id_for(tenant_id, traveller_id), tenant_id=tenant_id, traveller_id=traveller_id
        )

    @property
    def last_asked_at(self) -> datetime | None:
        """The newest ask that stands."""
        standing = [ask.at for ask in self.asks if not ask.withdrawn]
        if self.last_nps_asked_at is not None:
            standing.append(self.last_nps_asked_at)
        return max(standing, default=None)

    def nps_due(self, now: datetime, cadence: timedelta) -> bool:
        last = self.last_asked_at
        return last is None or now - last >= cadence

    def asked(self, survey_id: str, at: datetime) -> None:
        """Survey ``survey_id`` asked for NPS; recorded again, or after its withdrawal, it
        changes nothing."""
        self._keep(survey_id, at, withdrawn=False)

    def withdrawn(self, survey_id: str, at: datetime) -> None:
        """Survey ``survey_id`` (sent ``at``) was withdrawn unanswered: it is no ask."""
        self._keep(survey_id, at, withdrawn=True)

    def _keep(self, survey_id: str, at: datetime, *, withdrawn: bool) -> None:
        known = next((ask for ask in self.asks if ask.survey_id == survey_id), None)
        if known is not None:
            known.withdrawn = known.withdrawn or withdrawn
            return
        asks = [*self.asks, NpsAsk(survey_id=survey_id, at=at, withdrawn=withdrawn)]
        self.asks = sorted(asks, key=lambda ask: ask.at)[-self.ASKS_KEPT :]
