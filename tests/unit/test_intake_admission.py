"""Intake's contact ingress under overload: 503 + Retry-After at once, and nothing written.

The API runs in-process over the in-memory store, so saturation is exact and fast.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from contextlib import nullcontext
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from contracts.events import ContactReceived
from runtime.admission import Admission, LagWindow, Reason, Shedder
from runtime.clock import FakeClock
from runtime.idempotency import IdempotentRequests
from runtime.ratelimit import RateLimiter
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.intake import api
from services.intake.domain import Ticket
from services.intake.service import Intake, Outcome
from services.intake.store import TICKETS, GatewayKeys, TicketStore
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
CONTACT = {
    "channel": "web_chat",
    "channel_message_id": "chat-1",
    "traveller": {"id": "trav-1", "language": "en"},
    "text": "My flight CA1501 is cancelled",
}
AT_CAPACITY = {"detail": "intake is at capacity: retry after 1 s"}


@dataclass
class Ingress:
    http: httpx.AsyncClient
    db: FakeDatabase
    outbox: RecordingOutbox
    intake: Intake
    admission: Admission
    registry: CollectorRegistry
    gateway: dict[str, str]
    backlog: list[int]

    def written(self) -> dict[str, dict[str, Any]]:
        """Every document in the store, to compare before and after a request."""
        return {name: dict(collection.docs) for name, collection in self.db.items()}

    async def contact(self, **headers: str) -> httpx.Response:
        return await self.http.post(
            "/v1/contacts", json=CONTACT, headers={**self.gateway, **headers}
        )

    async def chat(self, body: bytes) -> httpx.Response:
        return await self.http.post(
            "/v1/channels/web_chat/contacts",
            content=body,
            headers={**self.gateway, "content-type": "application/json"},
        )


@pytest.fixture
async def ingress() -> AsyncIterator[Ingress]:
    db, clock, outbox = FakeDatabase(), FakeClock(T0), RecordingOutbox()
    repo = Repository(db, TICKETS, Ticket, outbox, clock)  # type: ignore[arg-type]
    intake = Intake(
        TicketStore(repo), clock, Signer("intake-admission-test-0123456789"), "http://i"
    )
    keys = GatewayKeys(db, clock)  # type: ignore[arg-type]
    key, _ = await keys.create(
        tenant_id="acme", name="gw", channels=[], rate_per_s=1000, by="ops-1"
    )
    registry, backlog = CollectorRegistry(), [0]
    admission = Admission(1, registry=registry, backlog=lambda: backlog[0], max_backlog=1000)
    app = FastAPI()
    app.state.intake, app.state.keys, app.state.admission = intake, keys, admission
    app.state.idempotency, app.state.limiter = IdempotentRequests(db, clock), RateLimiter()  # type: ignore[arg-type]
    for router in api.ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield Ingress(http, db, outbox, intake, admission, registry, {"X-Api-Key": key}, backlog)


@pytest.mark.parametrize("saturated_by", ["in_flight", "outbox_backlog"])
async def test_a_saturated_desk_answers_503_with_retry_after_and_writes_nothing(
    ingress: Ingress, saturated_by: str
) -> None:
    sent_before_t0 = b"2026-11-25T01:02:10Z"
    chat = (
        (FIXTURES / "web_chat.json").read_bytes().replace(b"2026-11-25T14:02:10Z", sent_before_t0)
    )
    before = ingress.written()
    if saturated_by == "outbox_backlog":
        ingress.backlog[0] = 1001
    with ingress.admission.admit() if saturated_by == "in_flight" else nullcontext():
        answers = [
            await ingress.contact(),
            await ingress.contact(**{"Idempotency-Key": "retry-me"}),
            await ingress.chat(chat),
        ]
        bad_key = await ingress.http.post(
            "/v1/contacts", json=CONTACT, headers={"X-Api-Key": "tck_nope"}
        )
        bad_body = await ingress.http.post(
            "/v1/contacts", json={**CONTACT, "channel": "fax"}, headers=ingress.gateway
        )
        bad_payload = await ingress.chat(b'{"session_id": "s"}')

    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "1"
        assert answer.json() == AT_CAPACITY
    assert (bad_key.status_code, bad_body.status_code, bad_payload.status_code) == (401, 422, 422)
    assert ingress.written() == before
    assert ingress.outbox.messages == []
    refused = ingress.registry.get_sample_value("admission_refused_total", {"reason": saturated_by})
    assert refused == 3

    ingress.backlog[0] = 0
    assert (await ingress.contact(**{"Idempotency-Key": "retry-me"})).status_code == 201
    assert (await ingress.chat(chat)).status_code == 201
    assert ingress.admission.in_flight == 0


async def test_a_request_in_flight_holds_its_slot_until_it_has_answered(
    ingress: Ingress, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, gate = asyncio.Event(), asyncio.Event()
    receive = ingress.intake.receive_contact

    async def slow_store(
        tenant: str, contact: ContactReceived, *args: Any, **kwargs: Any
    ) -> tuple[Ticket, Outcome]:
        entered.set()
        await gate.wait()
        return await receive(tenant, contact, *args, **kwargs)

    monkeypatch.setattr(ingress.intake, "receive_contact", slow_store)
    first = asyncio.create_task(ingress.contact())
    await entered.wait()

    other = await ingress.http.post(
        "/v1/contacts", json={**CONTACT, "channel_message_id": "chat-2"}, headers=ingress.gateway
    )
    gate.set()

    assert other.status_code == 503
    assert (await first).status_code == 201
    assert ingress.admission.in_flight == 0
    assert (await ingress.contact()).json()["outcome"] == "duplicate"


async def test_requests_that_waited_long_at_the_door_are_refused_by_the_age_a_proxy_stamped(
    ingress: Ingress,
) -> None:
    now = [0.0]
    ages = LagWindow(monotonic=lambda: now[0])
    ingress.admission.ages = ages
    ingress.admission.shedders = {
        Reason.REQUEST_AGE: Shedder(ages.median, 0.5, monotonic=lambda: now[0])
    }
    for garbage in ("soon", "t=nan", "t=" + "9" * 400, "t=\u2603".encode()):
        answer = await ingress.http.post(
            "/v1/contacts", json=CONTACT, headers={**ingress.gateway, "X-Request-Start": garbage}
        )
        assert answer.status_code < 300, answer.text
    assert ages.median() == 0.0  # unreadable stamps are not ages
    stale = {"X-Request-Start": f"t={time.time() - 10:.3f}"}
    for n in range(3):  # the window reads nothing until it has three ages
        assert (await ingress.contact(**stale, **{"Idempotency-Key": f"k{n}"})).status_code < 300
    now[0] += 0.5
    before = ingress.written()

    refused = await ingress.contact(**stale, **{"Idempotency-Key": "late"})

    assert ages.median() == pytest.approx(10, abs=1)
    assert refused.status_code == 503
    assert refused.json() == AT_CAPACITY
    assert refused.headers["Retry-After"] == "1"
    assert ingress.written() == before
    assert (
        ingress.registry.get_sample_value("admission_refused_total", {"reason": "request_age"}) == 1
    )


async def test_an_email_or_in_app_message_with_files_may_be_larger_than_other_payloads(
    ingress: Ingress,
) -> None:
    """Their files travel in the body: a phone photo made a mail over 1,000,000 bytes, which
    was refused whole (422) though the body limit let it in and the file was within 10 MB."""
    mail = EmailMessage()
    mail["From"], mail["To"] = "wang.fang@corp.example", "support@acme.example"
    mail["Subject"], mail["Message-ID"] = "Taxi receipt", "<photo-1@corp.example>"
    mail.set_content("The photo of my taxi receipt, please reimburse it.")
    mail.add_attachment(b"\xff\xd8\xff\xe0" + bytes(900_000), maintype="image", subtype="jpeg")
    in_app = {
        "message_id": "app-photo-1",
        "user_id": "trav-1",
        "text": "My receipt",
        "attachments": [
            {
                "name": "receipt.jpg",
                "content_type": "image/jpeg",
                "size": 900_004,
                "content": base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(900_000)).decode(),
            }
        ],
    }
    padded_chat = orjson.dumps({"session_id": "s", "message_id": "m", "text": "x" * 1_000_001})

    answers = [
        await ingress.http.post(
            f"/v1/channels/{channel}/contacts",
            content=body,
            headers={**ingress.gateway, "content-type": kind},
        )
        for channel, body, kind in [
            ("email", bytes(mail), "message/rfc822"),
            ("in_app", orjson.dumps(in_app), "application/json"),
            ("web_chat", padded_chat, "application/json"),
        ]
    ]

    assert [a.status_code for a in answers] == [201, 201, 422]
    assert answers[2].json()["detail"][0]["msg"] == "longer than 1,000,000 bytes"
