"""SLA policies over HTTP: ``GET/PUT /v1/sla-policies`` (tenant-scoped).

Anyone on the tenant's staff may read the policy; a manager (or admin) sets
it. The body is validated whole (targets > 0, responses within resolution,
warning share in (0, 1), a known time zone, business hours that open before
they close) and refused with 422 naming the field, so nothing half-valid is
stored. A new policy applies to clock runs that start after it.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Priority
from runtime.auth import ManagerScope, StaffScope
from runtime.errors import StrictJsonRoute
from services.routing.api.deps import ClockDep, MemoDep, SlaPoliciesDep
from services.routing.api.writes import put
from services.routing.sla.domain import DEFAULT_SLA, PriorityTerms, SlaPolicy
from services.routing.sla.store import TenantSlaPolicy

router = APIRouter(prefix="/v1", tags=["sla"], route_class=StrictJsonRoute)


class SlaPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priorities: dict[Priority, PriorityTerms] = Field(
        min_length=1,
        max_length=len(Priority),
        description="Terms per priority; a priority left out keeps the default.",
    )


class SlaPolicyView(BaseModel):
    priorities: dict[Priority, PriorityTerms]
    source: dict[Priority, str] = Field(description="tenant or default, per priority.")
    updated_by: str | None = None
    updated_at: datetime | None = None


def view(stored: TenantSlaPolicy | None) -> SlaPolicyView:
    if stored is None:
        return SlaPolicyView(
            priorities=dict(DEFAULT_SLA.priorities),
            source=dict.fromkeys(Priority, "default"),
        )
    return SlaPolicyView(
        priorities=dict(stored.policy.priorities),
        source={
            p: "default" if t == DEFAULT_SLA.terms(p) else "tenant"
            for p, t in stored.policy.priorities.items()
        },
        updated_by=stored.updated_by,
        updated_at=stored.updated_at,
    )


@router.get("/sla-policies")
async def get_sla_policies(scope: StaffScope, policies: SlaPoliciesDep) -> SlaPolicyView:
    """The tenant's SLA terms per priority (targets in seconds, calendar, warning share)."""
    return view(await policies.get(scope.tenant, scope.tenant))


@router.put("/sla-policies")
async def put_sla_policies(
    body: SlaPolicyIn,
    scope: ManagerScope,
    policies: SlaPoliciesDep,
    clock: ClockDep,
    memo: MemoDep,
) -> SlaPolicyView:
    """Set the terms of the priorities given; the others keep the default."""
    policy = SlaPolicy(priorities={**DEFAULT_SLA.priorities, **body.priorities})

    def change(stored: TenantSlaPolicy) -> None:
        stored.policy = policy
        stored.updated_by = scope.actor
        stored.updated_at = clock.now()

    stored, _ = await put(
        policies,
        scope.tenant,
        scope.tenant,
        lambda: TenantSlaPolicy(id=scope.tenant, tenant_id=scope.tenant),
        change,
    )
    memo.forget(scope.tenant)
    return view(stored)
