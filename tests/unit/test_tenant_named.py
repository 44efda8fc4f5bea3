"""A request that names its tenant in the path or query acts for it (feedback's reports and
metrics): a token of several tenants needs no ``X-Tenant-Id`` there, one that disagrees is
a 400 rather than a silent pick, and a tenant the token does not hold stays 403."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from runtime.auth import Principal, Role, issue_token, tenant_for
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.feedback import api
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.feedback_story import in_memory_feedback

SIGNER = Signer("tenant-named-test-secret-0123456789ab")
BOTH = Principal(id="mgr-1", role=Role.MANAGER, tenants=["globex", "acme"])
ACME = Principal(id="mgr-2", role=Role.MANAGER, tenants=["acme"])


def bearer(principal: Principal, tenant: str | None = None) -> dict[str, str]:
    token = issue_token(SIGNER, principal, timedelta(hours=1))
    named = {"X-Tenant-Id": tenant} if tenant else {}
    return {"Authorization": f"Bearer {token}", **named}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    db, outbox, clock = FakeDatabase(), RecordingOutbox(), FakeClock(T0)
    app = FastAPI()
    app.state.feedback = in_memory_feedback(db, outbox, clock, SIGNER)
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    for router in api.ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://care.example") as client:
        yield client


CSV, MONTHLY, METRICS = "/v1/reports/{}.csv", "/v1/reports/{}/2026-11.html", "/v1/metrics?tenant={}"


@pytest.mark.parametrize("path", [CSV, MONTHLY, METRICS])
async def test_a_token_of_several_tenants_acts_for_the_one_the_request_names(
    http: httpx.AsyncClient, path: str
) -> None:
    unheaded = await http.get(path.format("acme"), headers=bearer(BOTH))
    agreeing = await http.get(path.format("acme"), headers=bearer(BOTH, "acme"))

    assert (unheaded.status_code, agreeing.status_code) == (200, 200), unheaded.text
    if path == METRICS:
        assert unheaded.json()["tenant"] == agreeing.json()["tenant"] == "acme"
    if path == CSV:
        assert 'filename="acme.csv"' in unheaded.headers["content-disposition"]


@pytest.mark.parametrize("path", [CSV, MONTHLY, METRICS])
async def test_a_header_naming_another_of_its_tenants_is_400_not_a_silent_pick(
    http: httpx.AsyncClient, path: str
) -> None:
    answer = await http.get(path.format("acme"), headers=bearer(BOTH, "globex"))

    assert answer.status_code == 400
    assert "X-Tenant-Id" in answer.json()["detail"]
    assert "acme" in answer.json()["detail"]


@pytest.mark.parametrize("path", [CSV, MONTHLY, METRICS])
@pytest.mark.parametrize(
    ("principal", "header"), [(BOTH, None), (BOTH, "acme"), (ACME, None), (ACME, "acme")]
)
async def test_a_tenant_the_token_does_not_hold_stays_403(
    http: httpx.AsyncClient, path: str, principal: Principal, header: str | None
) -> None:
    answer = await http.get(path.format("initech"), headers=bearer(principal, header))

    assert answer.status_code == 403


async def test_metrics_naming_no_tenant_still_take_the_header_or_the_only_tenant(
    http: httpx.AsyncClient,
) -> None:
    unnamed = await http.get("/v1/metrics", headers=bearer(BOTH))
    headed = await http.get("/v1/metrics", headers=bearer(BOTH, "globex"))
    only = await http.get("/v1/metrics", headers=bearer(ACME))

    assert unnamed.status_code == 400
    assert (headed.json()["tenant"], only.json()["tenant"]) == ("globex", "acme")


@pytest.mark.parametrize(
    ("tenants", "header", "named", "expected"),
    [
        (["acme"], None, None, "acme"),
        (["acme", "globex"], "globex", None, "globex"),
        (["acme", "globex"], None, "globex", "globex"),
        (["acme", "globex"], "globex", "globex", "globex"),
        (["acme"], None, "acme", "acme"),
        (["acme", "globex"], None, None, 400),
        (["acme", "globex"], "acme", "globex", 400),
        (["acme"], "initech", None, 403),
        (["acme"], None, "initech", 403),
        (["acme", "globex"], "acme", "initech", 403),
        (["acme", "globex"], "initech", "acme", 403),
    ],
)
def test_the_one_rule_for_which_tenant_a_request_acts_for(
    tenants: list[str], header: str | None, named: str | None, expected: str | int
) -> None:
    principal = Principal(id="mgr-1", role=Role.MANAGER, tenants=tenants)
    if isinstance(expected, str):
        assert tenant_for(principal, header, named) == expected
        return
    with pytest.raises(HTTPException) as refused:
        tenant_for(principal, header, named)
    assert refused.value.status_code == expected
