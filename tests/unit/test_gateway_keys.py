"""Gateway keys: scoped, listed and revoked by admins; a revoked key is refused at once by
the intake replica that revoked it and by every other within ``gateway_key_cache_s``; an
``inbox:read`` key trades itself for a gateway token that reads travellers' inboxes at
notify and opens nothing else.

Two intake replicas share one in-memory store; notify runs beside them with the same
staff keys, as the services do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from contracts import events
from runtime.admission import Admission
from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake import api
from services.intake.domain import Ticket
from services.intake.service import Intake
from services.intake.store import API_KEYS, TICKETS, GatewayKeys, TicketStore
from services.notify.api import ROUTERS as NOTIFY_ROUTERS
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, TRAVELLER, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_handlers import repository

KEY_CACHE_S = 1.0
STAFF = Signer({"s1": "gateway-keys-test-staff-key-0123456789"})
LINKS = Signer({"l1": "gateway-keys-test-link-key-01234567890"})
CONTACT = {
    "channel": "in_app",
    "channel_message_id": "app-1",
    "traveller": {"id": "trav-42", "language": "en"},
    "text": "My flight CA1501 is cancelled",
}


def staff(role: Role = Role.ADMIN, tenant: str = "acme") -> dict[str, str]:
    principal = Principal(id=f"{role.value}-1", role=role, tenants=[tenant])
    return {"Authorization": f"Bearer {issue_token(STAFF, principal, timedelta(hours=1))}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Desk:
    replicas: tuple[httpx.AsyncClient, httpx.AsyncClient]
    notify: httpx.AsyncClient
    db: FakeDatabase
    clock: FakeClock
    ticks: Ticks

    async def create(self, *scopes: str, tenant: str = "acme") -> dict[str, Any]:
        body: dict[str, Any] = {"name": "app-gateway"}
        if scopes:
            body["scopes"] = list(scopes)
        created = await self.replicas[0].post(
            "/v1/admin/api-keys", json=body, headers=staff(tenant=tenant)
        )
        assert created.status_code == 201, created.text
        return dict(created.json())

    async def trade(self, key: str, replica: int = 0) -> httpx.Response:
        return await self.replicas[replica].post("/v1/gateway/token", headers={"X-Api-Key": key})

    async def contact(self, key: str, replica: int = 1) -> httpx.Response:
        return await self.replicas[replica].post(
            "/v1/contacts", json=CONTACT, headers={"X-Api-Key": key}
        )


class Ticks:
    """The replicas' monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def intake_replica(db: FakeDatabase, clock: FakeClock, ticks: Ticks | None = None) -> FastAPI:
    repo = Repository(db, TICKETS, Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, LINKS, "http://intake")
    keys = GatewayKeys(db, clock, cache_s=KEY_CACHE_S, monotonic=ticks or Ticks())  # type: ignore[arg-type]
    admission = Admission(64, registry=CollectorRegistry(), backlog=lambda: 0, max_backlog=10)
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=STAFF, clock=clock)
    app.state.intake, app.state.keys, app.state.admission = intake, keys, admission
    app.state.idempotency, app.state.limiter = IdempotentRequests(db, clock), RateLimiter()  # type: ignore[arg-type]
    app.state.gateway_token_ttl_s = 300
    for router in api.ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    return app


async def notify_app(
    clock: FakeClock,
    ticket_id: str = "TC-1",
    people: tuple[events.Traveller, ...] = (TRAVELLER,),
) -> FastAPI:
    """Notify's API over a store holding the ticket's acknowledgement to each of ``people``."""
    notifier = Notifier(repository(Delivery, RecordingOutbox()), Renderer(), clock)
    for person in people:
        acknowledged = events.TicketAcknowledged(
            ticket_id=ticket_id,
            channel=events.Channel.IN_APP,
            traveller=person,
            tracking_url="https://track/x",
            acknowledged_at=T0,
        )
        await notifier.notify(envelope(acknowledged))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=STAFF, clock=clock)
    app.state.notifier = notifier
    for router in NOTIFY_ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    db, clock, ticks = FakeDatabase(), FakeClock(T0), Ticks()
    a, b = client(intake_replica(db, clock, ticks)), client(intake_replica(db, clock, ticks))
    notify = client(await notify_app(clock))
    yield Desk((a, b), notify, db, clock, ticks)
    for http in (a, b, notify):
        await http.aclose()


# ------------------------------------------------------------------ list and revoke


async def test_admins_list_keys_without_the_key_itself(desk: Desk) -> None:
    created = await desk.create()
    listed = await desk.replicas[1].get("/v1/admin/api-keys", headers=staff())
    assert listed.status_code == 200
    (shown,) = listed.json()
    assert shown["id"] == created["id"]
    assert len(shown["id"]) == 16
    assert (shown["name"], shown["scopes"], shown["revoked_at"]) == (
        "app-gateway",
        ["contacts:write"],
        None,
    )
    assert "key" not in shown
    assert created["key"] not in listed.text
    stored = desk.db[API_KEYS].docs
    assert created["key"] not in str(stored)


async def test_a_retried_key_creation_makes_no_second_key_and_keeps_no_copy_of_the_first(
    desk: Desk,
) -> None:
    url, retry = "/v1/admin/api-keys", {**staff(), "Idempotency-Key": "key-1"}
    first = await desk.replicas[0].post(url, json={"name": "app-gateway"}, headers=retry)
    again = await desk.replicas[1].post(url, json={"name": "app-gateway"}, headers=retry)
    other = await desk.replicas[0].post(url, json={"name": "other"}, headers=retry)

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "this answer held a secret and is not kept; list keys to find it"
    )
    assert "Retry-After" not in again.headers, "retrying will not bring it back"
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    listed = (await desk.replicas[1].get(url, headers=staff())).json()
    assert [k["id"] for k in listed] == [first.json()["id"]]
    assert first.json()["key"] not in str(desk.db["idempotency"].docs), "no secret at rest"


@pytest.mark.parametrize("value", ["", " ", "\t "])
async def test_an_empty_or_blank_idempotency_key_is_refused_like_any_bad_key(
    desk: Desk, value: str
) -> None:
    key = (await desk.create("contacts:write"))["key"]
    headers = {"X-Api-Key": key, "Idempotency-Key": value}

    answer = await desk.replicas[0].post("/v1/contacts", json=CONTACT, headers=headers)

    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [["header", "Idempotency-Key"]]
    assert desk.db["tickets"].docs == {}


async def test_a_revoked_key_is_refused_at_once_by_its_replica_and_within_the_cache_by_all(
    desk: Desk,
) -> None:
    created = await desk.create("contacts:write", "inbox:read")
    key = created["key"]
    assert (await desk.contact(key, replica=1)).status_code == 201
    assert (await desk.trade(key, replica=0)).status_code == 200

    revoked = await desk.replicas[0].delete(f"/v1/admin/api-keys/{created['id']}", headers=staff())

    assert revoked.status_code == 200
    assert (revoked.json()["revoked_at"], revoked.json()["revoked_by"]) == (
        T0.isoformat().replace("+00:00", "Z"),
        "admin-1",
    )
    assert (await desk.contact(key, replica=0)).status_code == 401
    assert (await desk.trade(key, replica=0)).status_code == 401
    desk.ticks.now += KEY_CACHE_S
    assert (await desk.contact(key, replica=1)).status_code == 401
    assert (await desk.trade(key, replica=1)).status_code == 401
    again = await desk.replicas[1].delete(f"/v1/admin/api-keys/{created['id']}", headers=staff())
    assert (again.status_code, again.json()) == (200, revoked.json())
    (listed,) = (await desk.replicas[1].get("/v1/admin/api-keys", headers=staff())).json()
    assert listed["revoked_at"] is not None


async def test_a_replica_reads_a_live_key_once_per_cache_period_and_an_unknown_key_each_time(
    desk: Desk,
) -> None:
    key = (await desk.create())["key"]
    reads = desk.db[API_KEYS].finds
    reads.clear()

    for _ in range(3):  # the same contact again: 200, a duplicate
        assert (await desk.contact(key, replica=1)).status_code in {200, 201}
        desk.ticks.now += KEY_CACHE_S / 4
    assert len(reads) == 1
    desk.ticks.now += KEY_CACHE_S
    assert (await desk.contact(key, replica=1)).status_code == 200
    assert len(reads) == 2
    for _ in range(2):
        assert (await desk.contact("tck_unknown", replica=1)).status_code == 401
    assert len(reads) == 4


async def test_only_the_tenants_admins_see_and_revoke_its_keys(desk: Desk) -> None:
    created = await desk.create()
    path = f"/v1/admin/api-keys/{created['id']}"
    globex = staff(tenant="globex")
    assert (await desk.replicas[0].get("/v1/admin/api-keys", headers=globex)).json() == []
    assert (await desk.replicas[0].delete(path, headers=globex)).status_code == 404
    for role in (Role.AGENT, Role.MANAGER):
        assert (
            await desk.replicas[0].get("/v1/admin/api-keys", headers=staff(role))
        ).status_code == 403
        assert (await desk.replicas[0].delete(path, headers=staff(role))).status_code == 403
    assert (
        await desk.replicas[0].delete("/v1/admin/api-keys/0000000000000000", headers=staff())
    ).status_code == 404
    assert (
        await desk.replicas[0].delete("/v1/admin/api-keys/not-an-id", headers=staff())
    ).status_code == 422
    assert (await desk.contact(created["key"])).status_code == 201


# ------------------------------------------------------------------ scopes and gateway tokens


async def test_a_key_does_only_what_its_scopes_allow(desk: Desk) -> None:
    contacts_only = (await desk.create())["key"]
    inbox_only = (await desk.create("inbox:read"))["key"]
    assert (await desk.trade(contacts_only)).status_code == 403
    assert (await desk.contact(inbox_only)).status_code == 403
    assert (await desk.trade(inbox_only)).status_code == 200
    bad = await desk.replicas[0].post(
        "/v1/admin/api-keys", json={"name": "x", "scopes": ["tickets:resolve"]}, headers=staff()
    )
    assert bad.status_code == 422


async def test_a_gateway_token_reads_and_marks_travellers_inboxes_of_its_tenant(
    desk: Desk,
) -> None:
    traded = await desk.trade((await desk.create("inbox:read"))["key"])
    assert traded.status_code == 200
    body = traded.json()
    assert (body["token_type"], body["expires_in"], body["scopes"]) == (
        "Bearer",
        300,
        ["inbox:read"],
    )
    gateway = bearer(body["access_token"])

    inbox = await desk.notify.get("/v1/inbox/trav-42", headers=gateway)
    assert inbox.status_code == 200
    (message,) = inbox.json()
    read = await desk.notify.post(f"/v1/inbox/trav-42/{message['id']}/read", headers=gateway)
    assert (read.status_code, read.json()["read_at"] is not None) == (200, True)


async def test_a_gateway_token_opens_nothing_else(desk: Desk) -> None:
    """Nor staff's messages in an inbox: test_inbox_staff_messages."""
    gateway = bearer(
        (await desk.trade((await desk.create("inbox:read"))["key"])).json()["access_token"]
    )
    refused = [
        await desk.notify.get("/v1/inbox/trav-42", headers={**gateway, "X-Tenant-Id": "globex"}),
        await desk.notify.get("/v1/notifications", params={"ticket_id": "TC-1"}, headers=gateway),
        await desk.replicas[0].get("/v1/tickets", headers=gateway),
        await desk.replicas[0].post(
            "/v1/tickets/TC-1/resolve",
            json={"resolution_code": "rebooked", "message": "done"},
            headers=gateway,
        ),
        await desk.replicas[0].get("/v1/admin/api-keys", headers=gateway),
    ]
    assert [r.status_code for r in refused] == [403, 401, 401, 401, 401]


async def test_an_expired_gateway_token_is_told_it_expired_so_the_gateway_fetches_a_new_one(
    desk: Desk,
) -> None:
    gateway = bearer(
        (await desk.trade((await desk.create("inbox:read"))["key"])).json()["access_token"]
    )
    desk.clock.advance(timedelta(seconds=301))
    refused = await desk.notify.get("/v1/inbox/trav-42", headers=gateway)
    assert (refused.status_code, refused.json()["detail"]) == (401, "invalid token: expired")


async def test_an_expired_staff_token_is_told_it_expired_at_the_inbox_too(desk: Desk) -> None:
    agent = STAFF.sign(
        subject="agent-1",
        tenant="acme",
        role="agent",
        purpose="staff",
        expires_at=desk.clock.now() + timedelta(minutes=5),
    )
    desk.clock.advance(timedelta(minutes=5, seconds=1))
    refused = await desk.notify.get("/v1/inbox/trav-42", headers=bearer(agent))
    assert (refused.status_code, refused.json()["detail"]) == (401, "invalid token: expired")


async def test_a_token_signed_with_a_link_key_is_no_gateway_token(desk: Desk) -> None:
    forged = LINKS.sign(
        subject="k",
        tenant="acme",
        purpose="gateway",
        expires_at=T0 + timedelta(minutes=5),
        scopes=["inbox:read"],
    )
    assert (await desk.notify.get("/v1/inbox/trav-42", headers=bearer(forged))).status_code == 401


async def test_a_read_in_flight_when_its_replica_revokes_the_key_does_not_bring_it_back() -> None:
    db, clock = FakeDatabase(), FakeClock(T0)
    keys = GatewayKeys(db, clock, cache_s=60)  # type: ignore[arg-type]
    key, record = await keys.create(
        tenant_id="acme", name="gateway", channels=[], rate_per_s=5, by="admin-1"
    )
    before_revocation = dict(db[API_KEYS].docs[record.id])
    answer = asyncio.Event()

    async def slow_read(key_hash: str, *, patient: bool = False) -> list[dict[str, Any]]:
        await answer.wait()
        return [before_revocation]

    keys._reads.find = slow_read  # type: ignore[method-assign]
    resolving = asyncio.ensure_future(keys.resolve(key))
    await asyncio.sleep(0)
    await keys.revoke("acme", record.key_id, by="admin-1")
    answer.set()

    assert await resolving is None
    assert await keys.resolve(key) is None


@pytest.mark.parametrize("value", ["-1", "301", "soon", "nan", "inf", ""])
def test_a_key_cache_period_out_of_bounds_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TRIPCARE_GATEWAY_KEY_CACHE_S", value)

    with pytest.raises(ValidationError, match="gateway_key_cache_s"):
        Settings()


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("2.5", 2.5), ("300", 300.0)])
def test_a_key_cache_period_within_bounds_is_taken(
    monkeypatch: pytest.MonkeyPatch, value: str, seconds: float
) -> None:
    monkeypatch.setenv("TRIPCARE_GATEWAY_KEY_CACHE_S", value)

    assert Settings().gateway_key_cache_s == seconds


async def test_a_token_traded_before_its_key_was_revoked_reads_inboxes_until_it_expires(
    desk: Desk,
) -> None:
    """The bound docs/api.md states: notify learns of no revocation, so the token's
    lifetime is how long a revoked key's gateway can still read."""
    created = await desk.create("inbox:read")
    gateway = bearer((await desk.trade(created["key"])).json()["access_token"])
    await desk.replicas[0].delete(f"/v1/admin/api-keys/{created['id']}", headers=staff())

    desk.clock.advance(timedelta(seconds=299))
    assert (await desk.notify.get("/v1/inbox/trav-42", headers=gateway)).status_code == 200
    desk.clock.advance(timedelta(seconds=2))
    assert (await desk.notify.get("/v1/inbox/trav-42", headers=gateway)).status_code == 401
