"""Routing's HTTP API: the case file behind each routing decision."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from contracts.events import Priority
from runtime.auth import StaffScope
from runtime.store import NotFound, Repository
from services.routing.domain import CaseStatus, RoutingCase


class CaseView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: CaseStatus
    priority: Priority
    queue: str | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_met: bool | None
    resolution_met: bool | None


def router(cases: Repository[RoutingCase]) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["routing"])

    @api.get("/cases/{ticket_id}")
    async def get_case(ticket_id: str, scope: StaffScope) -> CaseView:
        """Queue, priority, SLA deadlines and whether they were met, for one ticket."""
        case = await cases.get(scope.tenant, ticket_id)
        if case is None:
            raise NotFound(ticket_id)
        return CaseView.model_validate(case)

    return api
