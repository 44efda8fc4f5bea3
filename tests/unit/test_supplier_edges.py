"""The signed supplier ingress at its edges, who may read partners' unknown events, and
bookings over HTTP that cannot be right.

A validly signed body that is not a supplier event used to make the error answer
itself fail (a 500): now it is a 422 in the documented shape, and nothing is
written. Partners serve every tenant, so their unknown events are for the
platform operator's admins only. A booking with a segment of an unknown kind (it
was dropped), one ending before it starts, or an ``updated_at`` far ahead (every
later update was ignored) is a 422 naming the field, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.idempotency import IdempotentRequests
from runtime.signing import Signer
from runtime.web import install_error_handlers
from runtime.webhook_signature import HEADER
from services.routing.api import bookings, incidents, suppliers, trips
from services.routing.care.store import TRIPS, UNKNOWN_EVENTS
from tests.factories import T0
from tests.unit.test_supplier_care import Care, signed

SIGNER = Signer("routing-care-api-test-secret-0123456789")


def staff_of(tenant: str, role: Role = Role.ADMIN, sub: str = "ops-1") -> dict[str, str]:
    principal = Principal(id=sub, role=role, tenants=[tenant])
    return {"Authorization": f"Bearer {issue_token(SIGNER, principal, timedelta(hours=1))}"}


def admin_of(tenant: str) -> dict[str, str]:
    return staff_of(tenant)


@asynccontextmanager
async def care_desk(care: Care, *routers: APIRouter) -> AsyncIterator[httpx.AsyncClient]:
    """Routing's care ``routers`` on ``care``'s in-memory stores, staff signed by SIGNER."""
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=care.clock)
    app.state.care = care.care
    app.state.idempotency = IdempotentRequests(care.db, care.clock)  # type: ignore[arg-type]
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing") as http:
        yield http


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    routers = (suppliers.router, trips.router, incidents.router, bookings.router)
    async with care_desk(care, *routers) as http:
        yield care, http


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b"{not json", ["body"]),
        (b"[" * 5_000 + b"]" * 5_000, ["body"]),
        (b'{"kind": "\xff\xfe"}', ["body"]),
        (b'{"kind": "\\ud800", "reference": "CA1", "service_date": "2026-11-26"}', ["body"]),
        (b'{"kind": 1e400, "reference": "CA1", "service_date": "2026-11-26"}', ["body", 9]),
        (b'{"kind": "x\\u0000", "reference": "CA1", "service_date": "2026-11-26"}', ["body", 17]),
        (
            b'{"event_id": "s35", "kind": "flight_delayed", "reference": "ZZ9", '
            b'"service_date": "2026-12-20", "x": NaN}',
            ["body", 101],
        ),
        (
            b'{"kind": "x", "reference": "CA1", "service_date": "9999-12-31"}',
            ["body", "service_date"],
        ),
        (
            b'{"kind": "x", "reference": "CA1", "service_date": "2026-11-26", '
            b'"details": {"a": 1e400}}',
            ["body"],
        ),
    ],
)
async def test_a_signed_body_that_is_not_an_event_is_a_422_and_writes_nothing(
    desk: tuple[Care, httpx.AsyncClient], raw: bytes, loc: list[str]
) -> None:
    care, http = desk

    answer = await http.post(
        "/v1/suppliers/ca/events",
        content=raw,
        headers={HEADER: signed(raw), "content-type": "application/json"},
    )

    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail[0]["loc"][: len(loc)] == loc
    assert all(set(item) == {"loc", "msg", "type"} for item in detail)
    assert len(answer.content) < 2_000
    assert care.wrote_nothing()


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (
            b"kind=flight_delayed&reference=CA1&service_date=2026-11-26",
            "application/x-www-form-urlencoded",
        ),
        (b"kind=flight_delayed", None),
        (b"{not json", "text/plain"),
    ],
)
async def test_a_signed_body_not_sent_as_json_is_told_to_be_json_and_writes_nothing(
    desk: tuple[Care, httpx.AsyncClient], raw: bytes, content_type: str | None
) -> None:
    """As every other endpoint answers since the reply's fix (runtime.errors): the supplier
    door built its own 422 and said "JSON decode error: unexpected character"."""
    care, http = desk
    headers = {HEADER: signed(raw)}
    if content_type is not None:
        headers["content-type"] = content_type

    answer = await http.post("/v1/suppliers/ca/events", content=raw, headers=headers)

    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == [
        {
            "loc": ["body"],
            "msg": "the body must be JSON, sent with Content-Type: application/json",
            "type": "json_invalid",
        }
    ]
    assert care.wrote_nothing()


async def test_a_bad_json_body_sent_as_json_keeps_the_parsers_position_and_reason(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    raw = b"{not json"
    headers = {HEADER: signed(raw), "content-type": "application/json"}

    answer = await desk[1].post("/v1/suppliers/ca/events", content=raw, headers=headers)

    assert answer.status_code == 422, answer.text
    (item,) = answer.json()["detail"]
    assert item["loc"] == ["body", 1]
    assert item["msg"].startswith("JSON decode error")


async def test_unknown_events_are_listed_for_the_platform_operators_admins_only(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    await care.db[UNKNOWN_EVENTS].insert_one(
        {
            "_id": "m1",
            "partner": "ca",
            "kind": "ash_cloud",
            "reference": "CA1501",
            "service_date": "2026-11-26",
            "details": {},
            "event_id": "ca-ev-9",
            "received_at": T0,
        }
    )

    tenant_admin = await http.get("/v1/suppliers/unknown-events", headers=admin_of("acme"))
    operator = await http.get("/v1/suppliers/unknown-events", headers=admin_of("tripcare"))

    assert tenant_admin.status_code == 403
    assert operator.status_code == 200
    assert [(e["id"], e["kind"]) for e in operator.json()] == [("m1", "ash_cloud")]


def booking(*segments: dict[str, Any], **fields: str) -> dict[str, Any]:
    return {
        "traveller": {"id": "trav-b1", "language": "en"},
        "channel": "in_app",
        "segments": list(segments) or [FLIGHT],
        **fields,
    }


FLIGHT = {"kind": "flight", "reference": "CA1501", "starts_at": "2026-12-20T08:00:00Z"}


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (
            booking({"kind": "rocket", "reference": "X1", "starts_at": "2026-12-20T08:00:00Z"}),
            ["body", "segments", 0, "kind"],
            "must be one of flight, hotel, train, car",
        ),
        (
            booking(
                FLIGHT,
                {
                    "kind": "hotel",
                    "reference": "H-88",
                    "starts_at": "2026-12-20T14:00:00Z",
                    "ends_at": "2026-12-10T12:00:00Z",
                },
            ),
            ["body", "segments", 1, "ends_at"],
            "must not be before starts_at",
        ),
        (
            booking({**FLIGHT, "starts_at": 1_797_000_000}),
            ["body", "segments", 0, "starts_at"],
            "Input should be a valid datetime",
        ),
        (
            booking(updated_at="2099-01-01T00:00:00Z"),
            ["body", "updated_at"],
            "must not be more than 5 minutes ahead of routing's clock",
        ),
    ],
)
async def test_a_malformed_booking_is_a_422_naming_the_field_and_stores_nothing(
    desk: tuple[Care, httpx.AsyncClient], body: dict[str, Any], loc: list[Any], message: str
) -> None:
    care, http = desk

    answer = await http.put("/v1/bookings/BK-1", json=body, headers=admin_of("acme"))

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == loc
    assert message in item["msg"]
    assert not care.db[TRIPS].docs
    assert care.outbox.messages == []


async def test_a_booking_dated_within_the_clock_skew_is_taken_and_later_updates_apply(
    desk: tuple[Care, httpx.AsyncClient],
) -> None:
    care, http = desk
    url, admin = "/v1/bookings/BK-1", admin_of("acme")
    hotel = {
        "kind": "HOTEL",
        "reference": "H-88",
        "starts_at": "2026-12-20T14:00:00Z",
        "ends_at": "2026-12-20T14:00:00Z",
    }
    ahead = (T0 + timedelta(minutes=5)).isoformat()

    first = await http.put(url, json=booking(FLIGHT, updated_at=ahead), headers=admin)
    care.clock.advance(timedelta(minutes=10))
    second = await http.put(url, json=booking(hotel), headers=admin)

    assert (first.status_code, second.status_code) == (201, 200)
    assert [s["resource"] for s in second.json()["segments"]] == ["hotel"]
