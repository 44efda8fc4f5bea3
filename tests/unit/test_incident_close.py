"""Closing a tenant's incident over routing's API: by the id the caller knows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.idempotency import IdempotentRequests
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.routing.api import incidents
from tests.unit.test_supplier_care import Care

SIGNER = Signer("routing-incident-close-test-secret-0123")


def manager_of(tenant: str) -> dict[str, str]:
    principal = Principal(id="mgr-1", role=Role.MANAGER, tenants=[tenant])
    return {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(hours=1))}"}


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=care.clock)
    app.state.care = care.care
    app.state.idempotency = IdempotentRequests(care.db, care.clock)  # type: ignore[arg-type]
    app.include_router(incidents.router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as http:
        yield care, http


async def test_closing_an_unknown_incident_is_a_404_naming_the_id_the_caller_used(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    _, http = desk

    answer = await http.post("/v1/incidents/INC-NOPE/close", headers=manager_of("acme"))

    assert answer.status_code == 404, answer.text
    assert "INC-NOPE" in answer.json()["detail"]
    assert "@" not in answer.text
    assert "acme" not in answer.text
