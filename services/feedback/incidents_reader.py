"""The dashboard's open incidents, read from routing's API with the manager's own token.

Routing owns supplier incidents; the dashboard only shows them. Read-only with
a short timeout: without routing the dashboard still shows every metric.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)
SHOWN = 20


@dataclass(frozen=True)
class OpenIncident:
    id: str
    kind: str
    reference: str
    summary: str
    affected: int


class IncidentsReader:
    def __init__(self, base_url: str, timeout_s: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    async def open_incidents(self, token: str, tenant: str) -> list[OpenIncident] | None:
        """The tenant's most recently changed incidents; None when routing cannot say."""
        headers = {"Authorization": f"Bearer {token}", "X-Tenant-Id": tenant}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                answer = await http.get(
                    f"{self.base_url}/v1/incidents", params={"limit": SHOWN}, headers=headers
                )
        except httpx.HTTPError as exc:
            log.warning("routing unavailable for the dashboard: %s", exc)
            return None
        if answer.status_code != 200:
            return None
        return [
            OpenIncident(
                id=i["id"],
                kind=i["kind"],
                reference=i["reference"],
                summary=i["summary"],
                affected=int(i["affected"]),
            )
            for i in answer.json()
        ]
