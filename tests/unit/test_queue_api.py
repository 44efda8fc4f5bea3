"""``/v1/queues``: a tenant's own queues can be deleted; a default queue cannot (it can be
redefined, and deleting the redefinition brings the default back)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.routing.api import queues
from services.routing.assignment.domain.agents import Agent
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import TenantQueue
from services.routing.domain.case import RoutingCase
from services.routing.store import RoutingStore
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

SIGNER = Signer("routing-queue-api-test-secret-0123456789")
MANAGER = Principal(id="manager-1", role=Role.MANAGER, tenants=["acme"])
HEADERS = {"Authorization": f"Bearer {issue_token(SIGNER, MANAGER, timedelta(hours=1))}"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    db, clock = FakeDatabase(), FakeClock(T0)

    def repo(name: str, model: type[Any]) -> Repository[Any]:
        return Repository(db, name, model, RecordingOutbox(), clock)  # type: ignore[arg-type]

    store = RoutingStore(
        db,  # type: ignore[arg-type]
        repo("cases", RoutingCase),
        repo("agents", Agent),
        repo("queues", TenantQueue),
        repo("policies", RoutingPolicy),
    )
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    app.state.routing = SimpleNamespace(store=store)
    app.include_router(queues.router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://routing", headers=HEADERS
    ) as client:
        yield client


async def sources(http: httpx.AsyncClient) -> dict[str, str]:
    return {q["id"]: q["source"] for q in (await http.get("/v1/queues")).json()}


async def test_a_default_queue_cannot_be_deleted_and_is_still_listed(
    http: httpx.AsyncClient,
) -> None:
    refused = await http.delete("/v1/queues/booking")

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "booking is a default queue: it cannot be deleted, only redefined (PUT)"
    )
    assert (await sources(http))["booking"] == "default"


async def test_deleting_a_redefined_default_queue_brings_the_default_back(
    http: httpx.AsyncClient,
) -> None:
    put = await http.put("/v1/queues/booking", json={"name": "Bookings", "categories": []})
    assert put.status_code == 201, put.text
    assert (await sources(http))["booking"] == "tenant"

    assert (await http.delete("/v1/queues/booking")).status_code == 204
    assert (await sources(http))["booking"] == "default"


async def test_a_tenant_queue_is_deleted_and_an_unknown_one_is_404(
    http: httpx.AsyncClient,
) -> None:
    body = {"name": "VIP desk", "categories": ["service_complaint"]}
    assert (await http.put("/v1/queues/vip", json=body)).status_code == 201

    assert (await http.delete("/v1/queues/vip")).status_code == 204
    assert "vip" not in await sources(http)
    gone = await http.delete("/v1/queues/vip")
    assert gone.status_code == 404
    assert gone.json()["detail"] == "vip"  # as the caller named it, not the stored "acme:vip"
