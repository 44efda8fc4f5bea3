"""Clustering: which open incident a traveller's contact naming a flight or train belongs to.
Pure, today passed in."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from services.routing.care.domain.trips import IsoDate


class Candidate(BaseModel):
    """An open disruption a contact might be about."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    key: str
    reference: str
    service_date: IsoDate


CLUSTER_DAYS = 2


def choose_incident(
    candidates: list[Candidate], traveller_keys: set[str], today: date
) -> Candidate | None:
    """The incident a contact naming these references belongs to.

    The traveller's own booking on that flight/train decides first; otherwise
    the disruption whose date is nearest today, within two days.
    """
    own = [c for c in candidates if c.key in traveller_keys]
    if own:
        return min(own, key=lambda c: abs((c.service_date - today).days))
    near = [c for c in candidates if abs((c.service_date - today).days) <= CLUSTER_DAYS]
    return min(
        near, key=lambda c: (abs((c.service_date - today).days), c.incident_id), default=None
    )
