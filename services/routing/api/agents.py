"""Agents: their skills, languages, capacity and presence; who may change them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from contracts.languages import LANGUAGES
from contracts.taxonomy import CATEGORIES, Category
from contracts.text import one_line
from runtime.auth import RANK, ManagerScope, Role, StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.store import NotFound
from services.routing.api.deps import RoutingDep, StoreDep
from services.routing.api.models import CREATED, NAME, Language
from services.routing.api.writes import delete, put
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.domain.status import CaseStatus
from services.routing.store import RoutingStore

router = APIRouter(prefix="/v1", tags=["agents"], route_class=StrictJsonRoute)


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, one_line(max_length=200)] | None = None
    categories: list[Category] = Field(
        default_factory=list, max_length=len(CATEGORIES), description="Skills."
    )
    languages: list[Language] = Field(min_length=1, max_length=len(LANGUAGES))
    capacity: StrictInt = Field(
        default=5,
        ge=1,
        le=100,
        description="Open tickets at once; at least 1 (an agent is paused by presence "
        "`away` or `offline`, not by a capacity of 0, which would never be assigned).",
    )
    expert: StrictBool = Field(
        default=False, description="May take the expert and complaint queues."
    )
    senior: StrictBool = Field(
        default=False, description="Takes first SLA escalations (docs/sla.md)."
    )
    manager: str | None = Field(
        default=None,
        max_length=128,
        pattern=NAME,
        description="Their team lead, told when a ticket they hold breaches its SLA "
        "(default: the tenant's support manager).",
    )
    presence: Presence | None = Field(default=None, description="Unchanged when omitted.")


class AgentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agent_id: str
    name: str | None
    categories: list[str]
    languages: list[str]
    capacity: int
    expert: bool
    senior: bool
    manager: str | None
    presence: Presence
    load: int
    tickets: list[str]


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presence: Presence


def agent_view(agent: Agent) -> AgentView:
    return AgentView.model_validate(agent)


@router.get("/agents")
async def list_agents(scope: StaffScope, store: StoreDep) -> list[AgentView]:
    return [agent_view(a) for a in await store.agents_of(scope.tenant)]


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, scope: StaffScope, store: StoreDep) -> AgentView:
    agent = await store.agents.get(scope.tenant, Agent.key(scope.tenant, agent_id))
    if agent is None:
        raise NotFound(agent_id)
    return agent_view(agent)


@router.put("/agents/{agent_id}", responses=CREATED)
async def put_agent(
    agent_id: Annotated[str, Path(pattern=NAME)],
    body: AgentIn,
    scope: ManagerScope,
    response: Response,
    routing: RoutingDep,
) -> AgentView:
    """Register an agent in this tenant or change their skills, capacity or presence.

    Their ``manager`` may not be themselves (a 422 naming it): a breach would tell the
    very person who let it lapse. Cycles of two or more are taken: a breach tells only
    the holder's own manager, never a chain of them."""
    if body.manager == agent_id:
        raise invalid(
            "an agent cannot be their own manager: name their team lead, or leave it out",
            ("body", "manager"),
        )

    def change(agent: Agent) -> None:
        agent.name = body.name
        agent.categories = list(body.categories)
        agent.languages = list(body.languages)
        agent.capacity = body.capacity
        agent.expert = body.expert
        agent.senior = body.senior
        agent.manager = body.manager
        if body.presence is not None:
            agent.presence = body.presence

    agent, new = await put(
        routing.store.agents,
        scope.tenant,
        Agent.key(scope.tenant, agent_id),
        lambda: Agent(
            id=Agent.key(scope.tenant, agent_id), tenant_id=scope.tenant, agent_id=agent_id
        ),
        change,
    )
    routing.wake_dispatch(scope.tenant)  # online, or more capacity: waiting cases go out
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return agent_view(agent)


@router.put("/agents/{agent_id}/presence")
async def put_presence(
    agent_id: str, body: PresenceIn, scope: StaffScope, routing: RoutingDep
) -> AgentView:
    """Online, away or offline: agents set their own; managers anyone's."""
    if scope.actor != agent_id and RANK[scope.principal.role] < RANK[Role.MANAGER]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only for yourself, or as a manager")

    def change(agent: Agent) -> None:
        agent.presence = body.presence

    try:
        agent = await routing.store.agents.change(
            scope.tenant, Agent.key(scope.tenant, agent_id), change
        )
    except NotFound as exc:
        raise NotFound(agent_id) from exc  # the id sent, not the store's tenant:id key
    routing.wake_dispatch(scope.tenant)
    return agent_view(agent)


HELD: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {"description": "They still hold open tickets."}
}


async def open_tickets(store: RoutingStore, agent: Agent) -> list[str]:
    """The tickets the agent holds whose case is open and names them (a slot left over from a
    lost write holds nothing)."""
    held = []
    for ticket_id in agent.tickets:
        case = await store.cases.get(agent.tenant_id, ticket_id)
        if case is not None and case.status is CaseStatus.OPEN and case.assignee == agent.agent_id:
            held.append(ticket_id)
    return held


@router.delete("/agents/{agent_id}", status_code=status.HTTP_204_NO_CONTENT, responses=HELD)
async def delete_agent(agent_id: str, scope: ManagerScope, store: StoreDep) -> None:
    """No new tickets for them here. Refused while they hold open tickets: nothing would hand
    those on (they stayed assigned to nobody who exists, never dispatched again); transfer
    them first, or set the agent offline."""
    agent = await store.agents.get(scope.tenant, Agent.key(scope.tenant, agent_id))
    if agent is not None and (held := await open_tickets(store, agent)):
        shown = ", ".join(held[:5]) + (", …" if len(held) > 5 else "")
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{agent_id} holds {len(held)} open ticket(s) ({shown}): transfer them first, "
            "or set the agent offline",
        )
    await delete(store.agents, scope.tenant, Agent.key(scope.tenant, agent_id), named=agent_id)
