"""``GET/PUT /v1/sla-policies``: tenant-scoped, managers write, bad input is a 422 that names
the field and stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import bson
import httpx
import pytest
from fastapi import FastAPI

from contracts.events import Priority
from runtime.auth import Principal, Role, issue_token
from runtime.cache import TenantMemo
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.routing.api import sla_policies
from services.routing.sla.domain import DEFAULT_SLA
from services.routing.sla.store import SLA_POLICIES, SlaStore, TenantSlaPolicy
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

SIGNER = Signer("routing-sla-api-test-secret-0123456789")


def token(role: Role, tenant: str = "acme") -> dict[str, str]:
    principal = Principal(id=f"{role.value}-1", role=role, tenants=[tenant])
    return {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(hours=1))}"}


MANAGER, AGENT = token(Role.MANAGER), token(Role.AGENT)
OFFICE = {
    "business_hours": {
        "time_zone": "Asia/Shanghai",
        "days": [1, 2, 3, 4, 5],
        "opens": "09:00",
        "closes": "18:00",
        "holidays": ["2026-10-01"],
    }
}


def terms(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "targets": {
            "first_response_s": 900,
            "next_response_s": 1800,
            "resolution_s": 14_400,
            "supplier_s": 7200,
        },
        "calendar": OFFICE,
        "warn_share": 0.75,
    }
    return {**body, **changes}


@dataclass
class Site:
    http: httpx.AsyncClient
    db: FakeDatabase
    memo: TenantMemo


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    db, clock, memo = FakeDatabase(), FakeClock(T0), TenantMemo(ttl_s=60)
    policies = Repository(db, SLA_POLICIES, TenantSlaPolicy, RecordingOutbox(), clock)  # type: ignore[arg-type]
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    app.state.sla_policies, app.state.memo = policies, memo
    app.include_router(sla_policies.router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as http:
        yield Site(http, db, memo)


async def test_a_tenant_without_a_policy_reads_the_defaults(site: Site) -> None:
    response = await site.http.get("/v1/sla-policies", headers=AGENT)
    assert response.status_code == 200
    body = response.json()
    assert set(body["source"].values()) == {"default"}
    assert body["priorities"]["critical"]["targets"]["first_response_s"] == 300


async def test_a_manager_sets_the_terms_of_a_priority_and_the_rest_keep_the_default(
    site: Site,
) -> None:
    response = await site.http.put(
        "/v1/sla-policies", json={"priorities": {"high": terms()}}, headers=MANAGER
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == {
        "critical": "default",
        "high": "tenant",
        "normal": "default",
        "low": "default",
    }
    assert body["updated_by"] == "manager-1"

    stored = await SlaStore(site.db).policy("acme")  # type: ignore[arg-type]
    high = stored.terms(Priority.HIGH)
    assert high.calendar.business_hours is not None
    assert high.calendar.business_hours.time_zone == "Asia/Shanghai"
    assert high.warn_share == 0.75
    assert stored.terms(Priority.LOW) == DEFAULT_SLA.terms(Priority.LOW)
    assert await SlaStore(site.db).policy("globex") == DEFAULT_SLA  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("priority_terms", "loc", "message"),
    [
        (
            terms(
                targets={
                    "first_response_s": 0,
                    "next_response_s": 60,
                    "resolution_s": 600,
                    "supplier_s": 60,
                }
            ),
            ["body", "priorities", "high", "targets", "first_response_s"],
            "greater than 0",
        ),
        (
            terms(
                targets={
                    "first_response_s": 60,
                    "next_response_s": 900,
                    "resolution_s": 600,
                    "supplier_s": 60,
                }
            ),
            ["body", "priorities", "high", "targets"],
            "next_response_s must not exceed resolution_s",
        ),
        (terms(warn_share=1.0), ["body", "priorities", "high", "warn_share"], "less than 1"),
        (
            terms(calendar={"business_hours": {"time_zone": "Europe/Atlantis"}}),
            ["body", "priorities", "high", "calendar", "business_hours", "time_zone"],
            "unknown time zone",
        ),
        (
            terms(calendar={"business_hours": {"opens": "18:00", "closes": "09:00"}}),
            ["body", "priorities", "high", "calendar", "business_hours"],
            "opens must be before closes",
        ),
        (
            terms(calendar={"business_hours": {"days": [0, 1]}}),
            ["body", "priorities", "high", "calendar", "business_hours", "days", 0],
            "greater than or equal to 1",
        ),
        (terms(deadline="soon"), ["body", "priorities", "high", "deadline"], "Extra inputs"),
        (
            terms(targets={**terms()["targets"], "resolution_s": 2**63 + 1}),
            ["body", "priorities", "high", "targets", "resolution_s"],
            "less than or equal",
        ),
        (
            terms(
                targets={**terms()["targets"], "resolution_s": 300 * 86_400},
                calendar={"business_hours": {"days": [6], "opens": "09:00", "closes": "10:00"}},
            ),
            ["body", "priorities", "high"],
            "exceeds a year of the calendar's business hours",
        ),
    ],
)
async def test_bad_terms_are_refused_with_the_field_and_nothing_is_stored(
    site: Site, priority_terms: dict[str, Any], loc: list[str], message: str
) -> None:
    response = await site.http.put(
        "/v1/sla-policies", json={"priorities": {"high": priority_terms}}, headers=MANAGER
    )

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and message in e["msg"] for e in errors), errors
    assert site.db[SLA_POLICIES].docs == {}


@pytest.mark.parametrize(
    "body",
    [{"priorities": {}}, {"priorities": {"urgent": terms()}}, {}],
)
async def test_an_empty_or_unknown_priority_is_refused(site: Site, body: dict[str, Any]) -> None:
    response = await site.http.put("/v1/sla-policies", json=body, headers=MANAGER)
    assert response.status_code == 422
    assert site.db[SLA_POLICIES].docs == {}


async def test_agents_read_but_do_not_set_the_policy(site: Site) -> None:
    response = await site.http.put(
        "/v1/sla-policies", json={"priorities": {"high": terms()}}, headers=AGENT
    )
    assert response.status_code == 403
    assert site.db[SLA_POLICIES].docs == {}


async def test_no_token_no_policy(site: Site) -> None:
    assert (await site.http.get("/v1/sla-policies")).status_code == 401


async def test_each_tenant_sees_only_its_own_policy(site: Site) -> None:
    await site.http.put("/v1/sla-policies", json={"priorities": {"high": terms()}}, headers=MANAGER)
    other = await site.http.get("/v1/sla-policies", headers=token(Role.AGENT, "globex"))
    assert set(other.json()["source"].values()) == {"default"}


async def test_a_new_policy_takes_effect_at_once_though_routing_remembers_policies(
    site: Site,
) -> None:
    sla = SlaStore(site.db, site.memo)  # type: ignore[arg-type]
    assert await sla.policy("acme") == DEFAULT_SLA  # now remembered for 60 s

    response = await site.http.put(
        "/v1/sla-policies", json={"priorities": {"high": terms()}}, headers=MANAGER
    )

    assert response.status_code == 200, response.text
    assert (await sla.policy("acme")).terms(Priority.HIGH).warn_share == 0.75


async def test_business_hours_given_with_seconds_keep_them(site: Site) -> None:
    office = {"business_hours": {**OFFICE["business_hours"], "opens": "08:30:15"}}
    response = await site.http.put(
        "/v1/sla-policies",
        json={"priorities": {"high": terms(calendar=office)}},
        headers=MANAGER,
    )

    assert response.status_code == 200, response.text
    read = await site.http.get("/v1/sla-policies", headers=AGENT)
    hours = read.json()["priorities"]["high"]["calendar"]["business_hours"]
    assert (hours["opens"], hours["closes"]) == ("08:30:15", "18:00")


async def test_a_business_hours_calendar_in_the_documented_shape_can_be_stored(
    site: Site,
) -> None:
    """docs/sla.md's shape: BSON has no time-of-day or date type, so these are kept as text,
    in the form they were given (``09:00``, not ``09:00:00``)."""
    response = await site.http.put(
        "/v1/sla-policies", json={"priorities": {"high": terms()}}, headers=MANAGER
    )

    assert response.status_code == 200, response.text
    [stored] = site.db[SLA_POLICIES].docs.values()
    hours = bson.decode(bson.encode(stored))["policy"]["priorities"]["high"]["calendar"]
    assert hours["business_hours"]["opens"] == "09:00"
    assert hours["business_hours"]["holidays"] == ["2026-10-01"]
    read = await site.http.get("/v1/sla-policies", headers=AGENT)
    assert read.json()["priorities"]["high"]["calendar"]["business_hours"]["closes"] == "18:00"
