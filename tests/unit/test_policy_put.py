"""``PUT /v1/policy`` changes the fields it is sent and keeps the others, as docs/api.md and
docs/routing.md show it (``{"triage_threshold": 0.7}``, ``{"bot_enabled": false}``). It
used to write every field, so turning the bot off also dropped the VIP travellers and the
support manager; an explicit null still clears a manager."""

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
from tests.unit.test_sla_case import SlaDesk

SIGNER = Signer("routing-policy-test-secret-0123456789")
FULL = {
    "vip": True,
    "vip_travellers": ["trav-42", "email:li@example.cn"],
    "account_manager": "am-1",
    "support_manager": "mgr-1",
    "bot_enabled": False,
    "assignment": "round_robin",
    "triage_threshold": 0.7,
}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    desk = SlaDesk()
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
    stored = await http.get("/v1/policy")
    assert stored.json() == answer.json()
    return dict(answer.json())


@pytest.mark.parametrize(
    "change",
    [
        {"bot_enabled": True},
        {"triage_threshold": 0.4},
        {"assignment": "least_loaded"},
        {"vip_travellers": ["trav-7"]},
        {"vip_travellers": []},
        {"support_manager": "mgr-2"},
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
    defaults = (await http.get("/v1/policy")).json()

    assert await put(http, {"bot_enabled": False}) == {**defaults, "bot_enabled": False}


async def test_an_empty_put_changes_nothing(http: httpx.AsyncClient) -> None:
    await put(http, FULL)

    assert await put(http, {}) == FULL


async def test_a_refused_field_changes_nothing(http: httpx.AsyncClient) -> None:
    await put(http, FULL)

    refused = await http.put("/v1/policy", json={"bot_enabled": True, "triage_threshold": 2})

    assert refused.status_code == 422
    assert (await http.get("/v1/policy")).json() == FULL
