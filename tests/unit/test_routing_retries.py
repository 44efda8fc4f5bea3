"""Routing's writes honour ``Idempotency-Key`` as intake's do: a retry with the same key and
body gets the first answer and nothing is done twice; the same key with another body is a
422 and changes nothing (routing's API on in-memory stores, the real triage model)."""

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
from services.routing.api import cases, partners
from services.routing.care.domain.suppliers import SupplierSettings
from tests.unit.test_routing_handlers import Desk, desk, seed  # noqa: F401 (fixtures)
from tests.unit.test_supplier_care import proactive_care

STAFF = Signer({"s1": "routing-retries-test-staff-key-0123456789"})
OPERATOR = "tripcare"


@pytest.fixture
async def http(desk: Desk) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    """Routing's partner and case endpoints, for an admin of the operator and of acme."""
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=STAFF, clock=desk.clock)
    settings = SupplierSettings(operator_tenant=OPERATOR)
    care = proactive_care(desk.db, desk.outbox, desk.clock, settings, partners=True)
    app.state.routing, app.state.care = desk.router, care
    app.state.idempotency = IdempotentRequests(desk.db, desk.clock)  # type: ignore[arg-type]
    for router in (partners.router, cases.router):
        app.include_router(router)
    install_error_handlers(app)
    principal = Principal(id="ops-1", role=Role.ADMIN, tenants=[OPERATOR, "acme"])
    token = issue_token(STAFF, principal, timedelta(hours=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://routing",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


def keyed(key: str, tenant: str) -> dict[str, str]:
    return {"Idempotency-Key": key, "X-Tenant-Id": tenant}


async def test_a_retried_secret_makes_no_second_secret_and_keeps_no_copy_of_the_first(
    desk: Desk,  # noqa: F811
    http: httpx.AsyncClient,
) -> None:
    url = "/v1/partners/qa2-air/secrets"
    first = await http.post(url, headers=keyed("qa2-sec-1", OPERATOR))
    again = await http.post(url, headers=keyed("qa2-sec-1", OPERATOR))

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "this answer held a secret and is not kept; list the partner's secrets to find it"
    )
    stored = (await http.get("/v1/partners/qa2-air", headers={"X-Tenant-Id": OPERATOR})).json()
    assert [s["id"] for s in stored["secrets"]] == [first.json()["id"]]
    assert first.json()["secret"] not in str(desk.db["idempotency"].docs), "no second copy"

    other = await http.post("/v1/partners/qa2-rail/secrets", headers=keyed("qa2-sec-1", OPERATOR))
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    rail = await http.get("/v1/partners/qa2-rail", headers={"X-Tenant-Id": OPERATOR})
    assert rail.status_code == 404, "the refused request created nothing"


@pytest.mark.parametrize("registered", [False, True])
async def test_revoking_a_secret_the_partner_does_not_have_is_404_naming_the_secret(
    http: httpx.AsyncClient, registered: bool
) -> None:
    """A partner never registered over the API answered 404 naming the partner, which
    ``GET /v1/partners`` lists (from the environment): the secret is what is missing."""
    operator = {"X-Tenant-Id": OPERATOR}
    if registered:
        made = await http.post("/v1/partners/qa3-air/secrets", headers=operator)
        assert made.status_code == 201, made.text

    missing = await http.delete("/v1/partners/qa3-air/secrets/s-nope", headers=operator)

    assert missing.status_code == 404, missing.text
    assert missing.json()["detail"] == "s-nope"


async def test_a_retried_recategorisation_is_answered_once_and_another_body_is_refused(
    desk: Desk,  # noqa: F811
    http: httpx.AsyncClient,
) -> None:
    await desk.policy(bot_enabled=False)
    ticket = await desk.open("I want to change my flight date to next Monday")
    url = f"/v1/cases/{ticket}/category"
    first = await http.post(url, json={"category": "reimbursement"}, headers=keyed("c-1", "acme"))
    again = await http.post(url, json={"category": "reimbursement"}, headers=keyed("c-1", "acme"))

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(await desk.store.corrections("acme")) == 1, "kept once"

    other = await http.post(url, json={"category": "baggage"}, headers=keyed("c-1", "acme"))
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    case = await desk.case(ticket)
    assert case.triage is not None
    assert case.triage.category == "reimbursement", "the other body was not applied"
