"""``PUT /v1/policy`` changes the fields it is sent and keeps the others, as docs/api.md and
docs/routing.md show it (``{"triage_threshold": 0.7}``, ``{"bot_enabled": false}``). It
used to write every field, so turning the bot off also dropped the VIP travellers and the
support manager; an explicit null still clears a manager.

An account manager who is no registered agent is accepted (they may be registered later,
and notify alerts them by id either way) with a ``warnings`` entry naming them: VIP tickets
cannot be pushed to them until they are (docs/routing.md). The GET computes the same
warnings against the agents registered now, so an account manager deleted after the PUT is
named there; a GET body PUT back is accepted, its ``warnings`` ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.routing.api import policy
from services.routing.assignment.domain.agents import Agent
from tests.unit.test_sla_case import SlaDesk

SIGNER = Signer("routing-policy-test-secret-0123456789")
FULL = {
    "vip": True,
    "vip_travellers": ["trav-42", "email:li@example.cn"],
    "account_manager": "am-1",
    "support_manager": "mgr-1",
    "deputy_support_manager": "mgr-3",
    "bot_enabled": False,
    "assignment": "round_robin",
    "triage_threshold": 0.7,
}


@pytest.fixture
def desk() -> SlaDesk:
    return SlaDesk()


@pytest.fixture
async def http(desk: SlaDesk) -> AsyncIterator[httpx.AsyncClient]:
    await desk.store.agents.add(
        Agent(id=Agent.key("acme", "am-1"), tenant_id="acme", agent_id="am-1", languages=["en"])
    )
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=desk.clock)
    app.state.routing = desk.router
    app.include_router(policy.router)
    install_error_handlers(app)
    admin = Principal(id="ops-1", role=Role.ADMIN, tenants=["acme"])
    token = issue_token(SIGNER, admin, timedelta(hours=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://routing",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def put(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = await http.put("/v1/policy", json=body)
    assert answer.status_code == 200, answer.text
    shown = dict(answer.json())
    assert shown.pop("warnings") == []
    assert await get(http) == shown
    return shown


async def get(http: httpx.AsyncClient) -> dict[str, Any]:
    """The stored policy, without the warnings the GET computes (none here)."""
    answer = await http.get("/v1/policy")
    assert answer.status_code == 200, answer.text
    shown = dict(answer.json())
    assert shown.pop("warnings") == []
    return shown


@pytest.mark.parametrize(
    "change",
    [
        {"bot_enabled": True},
        {"triage_threshold": 0.4},
        {"assignment": "least_loaded"},
        {"vip_travellers": ["trav-7"]},
        {"vip_travellers": []},
        {"support_manager": "mgr-2"},
        {"deputy_support_manager": "admin-1"},
    ],
)
async def test_a_put_of_one_field_changes_that_field_and_keeps_the_others(
    http: httpx.AsyncClient, change: dict[str, Any]
) -> None:
    await put(http, FULL)

    assert await put(http, change) == {**FULL, **change}


async def test_an_explicit_null_clears_a_manager_and_nothing_else(
    http: httpx.AsyncClient,
) -> None:
    await put(http, FULL)

    assert await put(http, {"support_manager": None}) == {**FULL, "support_manager": None}


async def test_a_first_put_fills_what_it_does_not_name_with_the_defaults(
    http: httpx.AsyncClient,
) -> None:
    defaults = await get(http)

    assert await put(http, {"bot_enabled": False}) == {**defaults, "bot_enabled": False}


async def test_an_empty_put_changes_nothing(http: httpx.AsyncClient) -> None:
    await put(http, FULL)

    assert await put(http, {}) == FULL


async def test_a_refused_field_changes_nothing(http: httpx.AsyncClient) -> None:
    await put(http, FULL)

    refused = await http.put("/v1/policy", json={"bot_enabled": True, "triage_threshold": 2})

    assert refused.status_code == 422
    assert await get(http) == FULL


async def test_an_unknown_account_manager_is_kept_with_a_warning_naming_them(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.put("/v1/policy", json={"account_manager": "nobody-registered"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["account_manager"] == "nobody-registered"
    assert answer.json()["warnings"] == [
        {
            "field": "account_manager",
            "agent": "nobody-registered",
            "message": "nobody-registered is not a registered agent (PUT /v1/agents/"
            "nobody-registered): VIP travellers' tickets cannot be pushed to them until "
            "they are",
        }
    ]
    stored = (await http.get("/v1/policy")).json()
    assert stored["account_manager"] == "nobody-registered"
    assert stored["warnings"] == answer.json()["warnings"]
    assert (await http.put("/v1/policy", json=stored)).status_code == 200  # a round trip


async def test_a_registered_account_manager_or_none_draws_no_warning(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.put("/v1/policy", json={"account_manager": "am-1"})).json()["warnings"] == []
    assert (await http.put("/v1/policy", json={"account_manager": None})).json()["warnings"] == []


async def test_the_get_warns_of_an_account_manager_deleted_after_the_put(
    http: httpx.AsyncClient, desk: SlaDesk
) -> None:
    assert (await http.put("/v1/policy", json={"account_manager": "am-1"})).json()["warnings"] == []

    await desk.store.agents.collection.delete_one({"_id": Agent.key("acme", "am-1")})
    shown = (await http.get("/v1/policy")).json()

    assert shown["account_manager"] == "am-1"
    assert [(w["field"], w["agent"]) for w in shown["warnings"]] == [("account_manager", "am-1")]
    again = await http.put("/v1/policy", json=shown)  # a GET body PUT back: warnings ignored
    assert again.status_code == 200, again.text
    assert again.json()["warnings"] == shown["warnings"]
