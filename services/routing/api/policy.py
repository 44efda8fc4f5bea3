"""The tenant's routing policy: VIP status and travellers, managers, the bot, assignment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat

from contracts.text import one_line
from runtime.auth import AdminScope, StaffScope
from runtime.errors import StrictJsonRoute
from services.routing.api.deps import StoreDep
from services.routing.api.models import NAME
from services.routing.api.writes import put
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.policy import AssignmentMode, RoutingPolicy
from services.routing.assignment.domain.queues import DEFAULT_TRIAGE_THRESHOLD
from services.routing.store import RoutingStore

router = APIRouter(prefix="/v1", tags=["policy"], route_class=StrictJsonRoute)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vip: StrictBool = False
    vip_travellers: list[Annotated[str, one_line(max_length=260)]] = Field(
        default_factory=list, max_length=10_000
    )
    account_manager: str | None = Field(default=None, max_length=128, pattern=NAME)
    support_manager: str | None = Field(
        default=None,
        max_length=128,
        pattern=NAME,
        description="Reviews second appeals: a manager or admin, the roles that may decide one.",
    )
    deputy_support_manager: str | None = Field(
        default=None,
        max_length=128,
        pattern=NAME,
        description="Reviews a second appeal of the support manager's own resolution, and "
        "takes a breached appeal the support manager cannot: a manager or admin too.",
    )
    bot_enabled: StrictBool = True
    assignment: AssignmentMode = Field(
        default=AssignmentMode.LEAST_LOADED,
        description="How a ticket picks among free agents: least_loaded or round_robin.",
    )
    triage_threshold: StrictFloat = Field(
        default=DEFAULT_TRIAGE_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Below this category confidence a ticket goes to the triage queue "
        "(needs a human look) instead of a team.",
    )


class PolicyWarning(BaseModel):
    """A setting kept although it does not work yet (docs/routing.md, account manager)."""

    field: Annotated[str, one_line(max_length=64)]
    agent: Annotated[str, one_line(max_length=128)]
    message: Annotated[str, one_line(max_length=500)]


class PolicyBody(PolicyIn):
    """A PUT's body: the policy's fields, and the ``warnings`` a GET answered, accepted and
    ignored so that a read-modify-write round trip is not refused for them."""

    warnings: list[PolicyWarning] | None = Field(
        default=None,
        exclude=True,
        max_length=20,
        description="Read-only (what GET answers); ignored.",
    )


class PolicyView(PolicyIn):
    """The stored policy, and what in it cannot work now: the PUT's answer and the GET's,
    both checked against the agents registered at that moment (an account manager deleted
    after the PUT is warned of on the next GET)."""

    model_config = ConfigDict(from_attributes=True)

    warnings: list[PolicyWarning] = Field(
        default_factory=list,
        description="Settings stored although they cannot work now, such as an account "
        "manager who is no registered agent.",
    )


async def unknown_agents(store: RoutingStore, policy: RoutingPolicy) -> list[PolicyWarning]:
    """An account manager routing cannot assign to. Kept, not refused: they may be registered
    after the policy is set (agents are a manager's, the policy an admin's), and notify
    alerts the account manager by id whether or not they are an agent."""
    name, tenant = policy.account_manager, policy.tenant_id
    if name is None or await store.agents.get(tenant, Agent.key(tenant, name)) is not None:
        return []
    return [
        PolicyWarning(
            field="account_manager",
            agent=name,
            message=f"{name} is not a registered agent (PUT /v1/agents/{name}): VIP "
            "travellers' tickets cannot be pushed to them until they are",
        )
    ]


async def view_of(store: RoutingStore, policy: RoutingPolicy) -> PolicyView:
    """The policy with its warnings as of now: agents change after the policy is saved."""
    view = PolicyView.model_validate(policy)
    view.warnings = await unknown_agents(store, policy)
    return view


@router.get("/policy")
async def get_policy(scope: StaffScope, store: StoreDep) -> PolicyView:
    return await view_of(store, await store.policy(scope.tenant))


@router.put("/policy")
async def put_policy(body: PolicyBody, scope: AdminScope, store: StoreDep) -> PolicyView:
    """VIP status, VIP travellers and their account manager, appeals' manager, the bot.

    Only the fields sent change (docs/api.md shows one-field PUTs such as
    ``{"bot_enabled": false}``); the others keep their stored value, or the default on a
    first PUT. An explicit null clears a manager. An account manager who is no registered
    agent is stored with a warning, not refused (``unknown_agents``)."""

    def change(policy: RoutingPolicy) -> None:
        for name, value in body.model_dump(exclude_unset=True).items():
            setattr(policy, name, value)

    policy, _ = await put(
        store.policies,
        scope.tenant,
        scope.tenant,
        lambda: RoutingPolicy.default(scope.tenant),
        change,
    )
    store.memo.forget(scope.tenant)
    return await view_of(store, policy)
