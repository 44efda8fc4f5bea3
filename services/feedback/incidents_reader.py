"""The dashboard's open incidents, read from routing's API with the manager's own token.

Routing owns supplier incidents; the dashboard only shows them. Read-only with
a short timeout (``runtime.readers``): without routing the dashboard still shows
every metric.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from runtime.readers import ServiceReader, Unavailable

log = logging.getLogger(__name__)
SHOWN = 20


@dataclass(frozen=True)
class OpenIncident:
    id: str
    kind: str
    reference: str
    summary: str
    affected: int


class IncidentsReader(ServiceReader):
    service = "routing"

    async def open_incidents(self, token: str, tenant: str) -> list[OpenIncident] | None:
        """The tenant's most recently changed incidents not closed by its desk; None when
        routing cannot say. A closed one looked the same as an open one on the dashboard."""
        try:
            async with self.session(token, **{"X-Tenant-Id": tenant}) as routing:
                found = await routing.get("/v1/incidents", limit=SHOWN)
        except Unavailable as exc:
            log.warning("routing unavailable for the dashboard: %s", exc)
            return None
        if found is None:
            return None
        return [
            OpenIncident(
                id=i["id"],
                kind=i["kind"],
                reference=i["reference"],
                summary=i["summary"],
                affected=int(i["affected"]),
            )
            for i in found
            if not i.get("closed_at")
        ]
