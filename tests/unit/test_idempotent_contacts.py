"""Ten gateways' retries of one contact at once, with one ``Idempotency-Key``.

The QA pass saw ten concurrent ``POST /v1/contacts`` all answer 201 while the docs
promised 409 for a request still in flight. Both happen: a retry that arrives while the
first is still being written is a 409, one that arrives after gets the stored answer
(the QA's threads each opened a connection first, so they came after). Either way exactly
one ticket is opened, and every answer is the first one's 201 body or a 409, which now
carries ``Retry-After`` (it had none, so a gateway had no hint when to come back).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from runtime.admission import Admission
from runtime.clock import FakeClock
from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake import api
from services.intake.domain import Ticket
from services.intake.main import bootstrap
from services.intake.service import Intake
from services.intake.store import TICKETS, GatewayKeys, TicketStore
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

CONTACT = {
    "channel": "in_app",
    "channel_message_id": "app-1",
    "traveller": {"id": "trav-1"},
    "text": "hello, please call me back about my visa letter",
}


@pytest.fixture
async def desk() -> AsyncIterator[tuple[httpx.AsyncClient, FakeDatabase, dict[str, str]]]:
    db, clock, outbox = FakeDatabase(), FakeClock(T0), RecordingOutbox()
    repo = Repository(db, TICKETS, Ticket, outbox, clock)  # type: ignore[arg-type]
    intake = Intake(
        TicketStore(repo), clock, Signer("intake-idempotency-test-0123456789"), "http://i"
    )
    keys = GatewayKeys(db, clock)  # type: ignore[arg-type]
    key, _ = await keys.create(
        tenant_id="acme", name="gw", channels=[], rate_per_s=1000, by="ops-1"
    )
    app = FastAPI()
    app.state.intake, app.state.keys = intake, keys
    app.state.admission = Admission(
        64, registry=CollectorRegistry(), backlog=lambda: 0, max_backlog=1000
    )
    app.state.idempotency, app.state.limiter = IdempotentRequests(db, clock), RateLimiter()  # type: ignore[arg-type]
    for router in api.ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield http, db, {"X-Api-Key": key, "Idempotency-Key": "idem-1"}


async def test_ten_concurrent_retries_open_one_ticket_and_answer_201_or_409_retry_after(
    desk: tuple[httpx.AsyncClient, FakeDatabase, dict[str, str]],
) -> None:
    http, db, headers = desk

    answers = await asyncio.gather(
        *(http.post("/v1/contacts", json=CONTACT, headers=headers) for _ in range(10))
    )

    assert len(db[TICKETS].docs) == 1
    created = [a for a in answers if a.status_code == 201]
    assert created
    assert all(a.json() == created[0].json() for a in created)
    assert created[0].json()["outcome"] == "opened"
    for answer in answers:
        assert answer.status_code in (201, 409), answer.text
        if answer.status_code == 409:
            assert answer.headers["retry-after"] == "1"


async def test_a_retry_after_the_first_is_written_gets_its_answer_again(
    desk: tuple[httpx.AsyncClient, FakeDatabase, dict[str, str]],
) -> None:
    http, db, headers = desk

    first = await http.post("/v1/contacts", json=CONTACT, headers=headers)
    again = await http.post("/v1/contacts", json=CONTACT, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert len(db[TICKETS].docs) == 1


def test_the_openapi_409_of_a_keyed_write_declares_retry_after() -> None:
    document = bootstrap().openapi()

    keyed = [
        (path, operation["responses"]["409"])
        for path, item in document["paths"].items()
        for operation in item.values()
        if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    ]

    assert keyed
    assert all("Retry-After" in answer.get("headers", {}) for _, answer in keyed), keyed
