"""``/v1/queues``: a tenant's own queues can be deleted; a default queue cannot (it can be
redefined, and deleting the redefinition brings the default back)."""

from __future__ import annotations

import asyncio
import random
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
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
async def http(db: FakeDatabase) -> AsyncIterator[httpx.AsyncClient]:
    clock = FakeClock(T0)

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


async def test_a_second_tenant_queue_claiming_a_category_is_refused_and_not_written(
    http: httpx.AsyncClient,
) -> None:
    first = {"name": "Invoices", "categories": ["invoice"]}
    assert (await http.put("/v1/queues/invoices", json=first)).status_code == 201
    second = {"name": "Invoices again", "categories": ["billing", "invoice"]}

    refused = await http.put("/v1/queues/invoices2", json=second)

    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "category invoice is already taken by queue invoices"
    assert "invoices2" not in await sources(http)


async def test_an_update_that_would_make_two_queues_claim_a_category_is_refused(
    http: httpx.AsyncClient,
) -> None:
    await http.put("/v1/queues/invoices", json={"name": "Invoices", "categories": ["invoice"]})
    await http.put("/v1/queues/bills", json={"name": "Bills", "categories": ["billing"]})

    refused = await http.put(
        "/v1/queues/bills", json={"name": "Bills", "categories": ["billing", "invoice"]}
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "category invoice is already taken by queue invoices"
    bills = {q["id"]: q for q in (await http.get("/v1/queues")).json()}["bills"]
    assert bills["categories"] == ["billing"]


async def test_a_tenant_queue_may_take_a_default_queues_category_and_keep_it(
    http: httpx.AsyncClient,
) -> None:
    body = {"name": "Invoices", "categories": ["invoice"]}
    assert (await http.put("/v1/queues/invoices", json=body)).status_code == 201
    assert (await http.put("/v1/queues/invoices", json=body)).status_code == 200
    # Redefining the default queue that also lists invoice is refused only while it keeps it.
    finance = {"name": "Finance", "categories": ["reimbursement", "invoice"]}
    assert (await http.put("/v1/queues/finance", json=finance)).status_code == 409
    finance["categories"] = ["reimbursement"]
    assert (await http.put("/v1/queues/finance", json=finance)).status_code == 201


@pytest.mark.parametrize("seed", range(20))
async def test_two_concurrent_puts_naming_one_category_leave_it_to_one_queue(
    seed: int, db: FakeDatabase, http: httpx.AsyncClient
) -> None:
    """Two managers at once: one PUT wins, the other is 409, and no two queues list it. The
    store's calls yield a random number of times, so the two requests interleave."""
    db.chaos = random.Random(seed)
    for collection in db.values():
        collection.chaos = db.chaos
    bodies = {q: {"name": q, "categories": ["invoice"]} for q in ("invoices", "bills")}
    puts = (http.put(f"/v1/queues/{q}", json=body) for q, body in bodies.items())

    answers = await asyncio.gather(*puts)

    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    listing = (await http.get("/v1/queues")).json()
    holders = [q["id"] for q in listing if q["source"] == "tenant" and "invoice" in q["categories"]]
    assert len(holders) == 1, listing


async def test_a_deleted_queue_lets_go_of_its_categories(http: httpx.AsyncClient) -> None:
    body = {"name": "Invoices", "categories": ["invoice"]}
    assert (await http.put("/v1/queues/invoices", json=body)).status_code == 201
    assert (await http.put("/v1/queues/bills", json=body)).status_code == 409

    assert (await http.delete("/v1/queues/invoices")).status_code == 204

    assert (await http.put("/v1/queues/bills", json=body)).status_code == 201


async def test_a_put_that_died_between_its_claim_and_its_queue_is_completed_by_the_next(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PUT that dies after its claim used to leave the category held by a queue nobody
    could see, so no other queue could take it: the next claim writes that queue from the
    definition the claim kept, and the category's holder is one the tenant sees and can
    delete."""
    written = queues.put

    async def dies(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the replica died before the queue write")

    monkeypatch.setattr(queues, "put", dies)
    body = {"name": "Invoices", "categories": ["invoice"], "expert_only": True}
    with pytest.raises(RuntimeError):
        await http.put("/v1/queues/invoices", json=body)
    monkeypatch.setattr(queues, "put", written)

    refused = await http.put("/v1/queues/bills", json={"name": "Bills", "categories": ["invoice"]})

    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "category invoice is already taken by queue invoices"
    listing = {q["id"]: q for q in (await http.get("/v1/queues")).json()}
    assert listing["invoices"] == {
        "id": "invoices",
        "name": "Invoices",
        "categories": ["invoice"],
        "expert_only": True,
        "source": "tenant",
    }
    assert (await http.delete("/v1/queues/invoices")).status_code == 204
    assert (await http.put("/v1/queues/bills", json=body)).status_code == 201


async def test_a_retried_put_after_a_died_one_is_its_own_and_writes_the_queue_once(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = queues.put

    async def dies(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the replica died before the queue write")

    monkeypatch.setattr(queues, "put", dies)
    body = {"name": "Invoices", "categories": ["invoice"]}
    with pytest.raises(RuntimeError):
        await http.put("/v1/queues/invoices", json=body)
    monkeypatch.setattr(queues, "put", written)

    retried = await http.put("/v1/queues/invoices", json={**body, "categories": ["billing"]})

    assert retried.status_code == 201, retried.text
    assert retried.json()["categories"] == ["billing"]
    invoice = {"name": "Bills", "categories": ["invoice"]}
    assert (await http.put("/v1/queues/bills", json=invoice)).status_code == 201
