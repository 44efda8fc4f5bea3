"""Notify's HTTP API authenticates like the other services: a staff bearer token scopes
every read and write to its tenant; no token, a forged one, or a bare X-Tenant-Id is 401.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from contracts import events
from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.gateway_auth import GatewayScope, issue_gateway_token
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.notify.api import ROUTERS
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, TRAVELLER, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import repository

SIGNER = Signer("notify-api-test-secret-0123456789")


def token(*tenants: str, signer: Signer = SIGNER) -> dict[str, str]:
    principal = Principal(id="agent-7", role=Role.AGENT, tenants=list(tenants))
    return {"Authorization": f"Bearer {issue_token(signer, principal, timedelta(hours=1))}"}


ACME = token("acme")


@dataclass
class Site:
    http: httpx.AsyncClient
    notifier: Notifier
    message_id: str


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    clock = FakeClock(T0)
    notifier = Notifier(repository(Delivery, RecordingOutbox()), Renderer(), clock)
    acknowledged = events.TicketAcknowledged(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=TRAVELLER,
        tracking_url="https://track/x",
        acknowledged_at=T0,
    )
    (delivery,) = await notifier.notify(envelope(acknowledged))
    transport = httpx.ASGITransport(app=notify_app(notifier, clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
        yield Site(http, notifier, delivery.id)


def notify_app(notifier: Notifier, clock: FakeClock) -> FastAPI:
    """Notify's HTTP API over ``notifier``, staff tokens signed by ``SIGNER``."""
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=clock)
    app.state.notifier = notifier
    for router in ROUTERS:
        app.include_router(router)
    install_error_handlers(app)
    return app


async def read_at(site: Site, tenant: str = "acme") -> object:
    delivery = await site.notifier.deliveries.get(tenant, site.message_id)
    assert delivery is not None
    return delivery.read_at


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Tenant-Id": "acme"},
        {"Authorization": "Bearer not-a-token"},
        token("acme", signer=Signer("someone-elses-secret-0123456789abc")),
    ],
    ids=["none", "tenant-header-only", "garbage", "forged"],
)
async def test_without_a_valid_staff_token_every_endpoint_is_401(
    site: Site, headers: dict[str, str]
) -> None:
    calls = [
        site.http.get("/v1/inbox/trav-42", headers=headers),
        site.http.post(f"/v1/inbox/trav-42/{site.message_id}/read", headers=headers),
        site.http.get("/v1/notifications", params={"ticket_id": "TC-1"}, headers=headers),
    ]
    for call in calls:
        assert (await call).status_code == 401
    assert await read_at(site) is None


async def test_a_staff_token_reads_the_inbox_and_marks_a_message_read(site: Site) -> None:
    inbox = await site.http.get("/v1/inbox/trav-42", headers=ACME)
    read = await site.http.post(f"/v1/inbox/trav-42/{site.message_id}/read", headers=ACME)
    log = await site.http.get("/v1/notifications", params={"ticket_id": "TC-1"}, headers=ACME)

    assert inbox.status_code == 200
    assert [m["template"] for m in inbox.json()] == ["ticket_acknowledged"]
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert [d["id"] for d in log.json()["items"]] == [site.message_id]


async def test_another_tenants_inbox_is_empty_and_its_messages_are_404(site: Site) -> None:
    globex = token("globex")
    inbox = await site.http.get("/v1/inbox/trav-42", headers=globex)
    read = await site.http.post(f"/v1/inbox/trav-42/{site.message_id}/read", headers=globex)
    log = await site.http.get("/v1/notifications", params={"ticket_id": "TC-1"}, headers=globex)

    assert (inbox.status_code, inbox.json()) == (200, [])
    assert read.status_code == 404
    assert log.json() == {"items": [], "next_cursor": None}
    assert await read_at(site) is None


async def test_a_message_of_another_person_is_404_and_stays_unread(site: Site) -> None:
    read = await site.http.post(f"/v1/inbox/trav-99/{site.message_id}/read", headers=ACME)

    assert read.status_code == 404
    assert await read_at(site) is None


async def test_a_token_of_several_tenants_must_name_one_it_holds(site: Site) -> None:
    both = token("acme", "globex")
    unnamed = await site.http.get("/v1/inbox/trav-42", headers=both)
    named = await site.http.get("/v1/inbox/trav-42", headers={**both, "X-Tenant-Id": "acme"})
    foreign = await site.http.get("/v1/inbox/trav-42", headers={**ACME, "X-Tenant-Id": "globex"})

    assert unnamed.status_code == 400
    assert [m["ticket_id"] for m in named.json()] == ["TC-1"]
    assert foreign.status_code == 403


async def test_a_ticket_id_is_required_for_the_delivery_log(site: Site) -> None:
    missing = await site.http.get("/v1/notifications", headers=ACME)

    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["query", "ticket_id"]


async def test_the_delivery_log_pages_oldest_first_to_the_newest_notice(site: Site) -> None:
    for n in range(104):  # 105 notices in all, many at the same instant: ties go by id
        if n % 40 == 0:
            site.notifier.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
        replied = events.TicketReplied(
            ticket_id="TC-1",
            channel=events.Channel.IN_APP,
            traveller=TRAVELLER,
            message=f"answer {n}",
            author="agent-7",
            first_response=n == 0,
            replied_at=T0,
        )
        await site.notifier.notify(envelope(replied))
    url, ticket = "/v1/notifications", {"ticket_id": "TC-1"}

    first = await site.http.get(url, params=ticket, headers=ACME)
    rest = await site.http.get(
        url, params={**ticket, "cursor": first.json()["next_cursor"]}, headers=ACME
    )
    small = await site.http.get(url, params={**ticket, "limit": 2}, headers=ACME)

    assert first.status_code == rest.status_code == 200, first.text
    assert len(first.json()["items"]) == 100
    assert rest.json()["next_cursor"] is None
    read = [d["id"] for d in first.json()["items"] + rest.json()["items"]]
    stored = site.notifier.deliveries.collection.docs.values()  # type: ignore[attr-defined]
    every = sorted((d["created_at"], d["_id"]) for d in stored)
    assert read == [i for _, i in every]
    assert read[0] == site.message_id
    assert (len(small.json()["items"]), bool(small.json()["next_cursor"])) == (2, True)


@pytest.mark.parametrize("cursor", ["nope", "WzEsMl0=", "WyJ4IiwiTi0xIl0="])
async def test_a_delivery_log_cursor_that_does_not_decode_is_422(site: Site, cursor: str) -> None:
    answer = await site.http.get(
        "/v1/notifications", params={"ticket_id": "TC-1", "cursor": cursor}, headers=ACME
    )

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "cursor"]


SURVEY_LINK = "https://care.example/v1/surveys/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTIn0.c2lnbmF0dXJl"
TRACKING_LINK = "https://care.example/v1/track/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJUQyJ9.c2ln-_"


async def survey_and_acknowledgement(site: Site) -> None:
    """The traveller's in-app acknowledgement and survey, each with its signed link."""
    for event in (
        events.TicketAcknowledged(
            ticket_id="TC-9",
            channel=events.Channel.IN_APP,
            traveller=TRAVELLER,
            tracking_url=TRACKING_LINK,
            acknowledged_at=T0,
        ),
        events.SurveySent(
            survey_id="S-TC-9-1",
            ticket_id="TC-9",
            traveller=TRAVELLER,
            survey_url=SURVEY_LINK,
            sent_at=T0,
        ),
    ):
        await site.notifier.notify(envelope(event))


def gateway(tenant: str = "acme") -> dict[str, str]:
    signed = issue_gateway_token(
        SIGNER,
        FakeClock(T0),
        key_id="key-1",
        tenant=tenant,
        scopes=[GatewayScope.INBOX_READ],
        ttl=timedelta(minutes=5),
    )
    return {"Authorization": f"Bearer {signed}"}


async def test_staff_never_read_the_travellers_signed_links(site: Site) -> None:
    await survey_and_acknowledgement(site)

    inbox = (await site.http.get(f"/v1/inbox/{TRAVELLER.id}", headers=ACME)).json()
    log = (await site.http.get("/v1/notifications?ticket_id=TC-9", headers=ACME)).json()
    read = await site.http.post(f"/v1/inbox/{TRAVELLER.id}/{inbox[0]['id']}/read", headers=ACME)

    shown = [*inbox, *log["items"], read.json()]
    assert {m["template"] for m in shown} >= {"survey", "ticket_acknowledged"}
    for message in shown:
        assert "eyJ" not in f"{message['link']} {message['body']} {message['subject']}"
    links = {m["template"]: m["link"] for m in log["items"]}
    assert links["survey"] == "https://care.example/v1/surveys/[redacted]"
    assert links["ticket_acknowledged"] == "https://care.example/v1/track/[redacted]"


async def test_the_travellers_app_reads_its_inbox_with_the_links(site: Site) -> None:
    await survey_and_acknowledgement(site)

    inbox = (await site.http.get(f"/v1/inbox/{TRAVELLER.id}", headers=gateway())).json()

    links = {m["template"]: m["link"] for m in inbox if m["ticket_id"] == "TC-9"}
    assert links == {"survey": SURVEY_LINK, "ticket_acknowledged": TRACKING_LINK}
    assert SURVEY_LINK in next(m["body"] for m in inbox if m["template"] == "survey")


FILE_LINK = "https://care.example/v1/files/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJUQy05L2YxIn0.c2ln"


async def test_staff_never_read_the_signed_link_of_a_file_sent_to_the_traveller(
    site: Site,
) -> None:
    voucher = events.Attachment(
        name="voucher.pdf", content_type="application/pdf", size=9, id="f1", url=FILE_LINK
    )
    replied = events.TicketReplied(
        ticket_id="TC-9",
        channel=events.Channel.IN_APP,
        traveller=TRAVELLER,
        message="your new voucher",
        author="agent-7",
        first_response=True,
        replied_at=T0,
        attachments=[voucher],
    )
    await site.notifier.notify(envelope(replied))

    staff = (await site.http.get(f"/v1/inbox/{TRAVELLER.id}", headers=ACME)).json()
    log = (await site.http.get("/v1/notifications?ticket_id=TC-9", headers=ACME)).json()
    app = (await site.http.get(f"/v1/inbox/{TRAVELLER.id}", headers=gateway())).json()

    for message in [*staff, *log["items"]]:
        assert "eyJ" not in f"{message['link']} {message['body']} {message['subject']}"
    assert "voucher.pdf: https://care.example/v1/files/[redacted]" in log["items"][0]["body"]
    assert FILE_LINK in next(m["body"] for m in app if m["ticket_id"] == "TC-9")
