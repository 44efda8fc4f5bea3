"""Registering an agent (``PUT /v1/agents/{id}``): a capacity of 0 and being one's own
manager are refused naming the field, and nothing is written; a manager cycle (A leads B,
B leads A) is no loop, since a breach tells only the holder's own manager (docs/routing.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI, Response
from fastapi.exceptions import RequestValidationError

from contracts.events import SlaClock
from runtime.auth import Principal, Role, Scope
from services.routing.api.agents import AgentIn, put_agent
from services.routing.assignment.domain.agents import Agent
from services.routing.main import bootstrap
from services.routing.sla.domain import TimerKind
from tests.unit.test_sla_case import SlaDesk
from tests.unit.test_strict_types import admin_of

MANAGER = Scope(principal=Principal(id="mgr-1", role=Role.MANAGER, tenants=["acme"]), tenant="acme")


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return bootstrap()


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    return desk


async def test_a_capacity_of_0_is_a_422_naming_capacity(app: FastAPI) -> None:
    """An agent of capacity 0 is never assigned while looking available: away or offline
    is how an agent is paused."""
    async with admin_of(app) as http:
        answer = await http.put("/v1/agents/a-1", json={"languages": ["en"], "capacity": 0})

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body", "capacity"]
    assert item["msg"] == "Input should be greater than or equal to 1"


async def test_an_agent_as_their_own_manager_is_a_422_naming_manager(desk: SlaDesk) -> None:
    body = AgentIn(languages=["en"], manager="a-1")

    with pytest.raises(RequestValidationError) as refused:
        await put_agent("a-1", body, MANAGER, Response(), desk.router)

    [item] = refused.value.errors()
    assert (item["loc"], item["msg"]) == (
        ("body", "manager"),
        "an agent cannot be their own manager: name their team lead, or leave it out",
    )
    assert await desk.store.agents.get("acme", Agent.key("acme", "a-1")) is None


async def test_a_manager_cycle_is_taken_and_a_breach_tells_the_holders_manager_once(
    desk: SlaDesk,
) -> None:
    for agent_id, manager in (("agent-1", "senior-1"), ("senior-1", "agent-1")):
        body = AgentIn(
            languages=["en"],
            categories=["invoice", "billing", "reimbursement", "cancel_refund"],
            senior=agent_id == "senior-1",
            manager=manager,
        )
        await put_agent(agent_id, body, MANAGER, Response(), desk.router)
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))

    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    (breach,) = desk.published("sla.breached")
    assert (breach["previous_assignee"], breach["assignee"]) == ("agent-1", "senior-1")
    assert breach["manager"] == "agent-1"  # the new holder's lead, one step: no chain to loop
