"""Tracking links were a JWT of about 250 characters: with the production address, a
Japanese SMS acknowledgement ran 367 UTF-16 units, six segments, and an IM message showed
a wall of characters. The link is now ``/t/{code}``: 25 base62 characters holding the
ticket id, the expiry day and a 72-bit HMAC, verified without a lookup — 60 characters in
all, and the same acknowledgement 134 units, two segments. A forged or expired code gets
the page a bad token gets; the long links already sent keep working.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import orjson
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts import events
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.telemetry import instrument_requests
from runtime.tracking_codes import TRACKING_LINK_TTL
from runtime.web import install_error_handlers
from services.intake.api import tracking as tracking_api
from services.intake.domain import Ticket
from services.intake.pages import tracking as tracking_page
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.notify.domain.fit import utf16_length
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.domain.traveller_links import redact
from services.notify.render import Renderer
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox

PUBLIC_URL = "https://support.tripcare.example"
SIGNER_SECRET = "short-link-test-secret-0123456789abcdef"
SIGNER = Signer({"links-2026": SIGNER_SECRET})
AIKO = events.Traveller(id="phone:+819012345678", name="山田 花子", language="ja")


def sms_segments(body: str) -> int:
    """UCS-2 SMS: 70 units alone, 67 a part once concatenated."""
    units = utf16_length(body)
    return 1 if units <= 70 else math.ceil(units / 67)


@dataclass
class Site:
    http: httpx.AsyncClient
    intake: Intake
    clock: FakeClock
    outbox: RecordingOutbox
    ticket_id: str
    url: str

    @property
    def code(self) -> str:
        return self.url.rsplit("/", 1)[1]


def tracking_app(intake: Intake) -> FastAPI:
    app = FastAPI()
    app.state.intake = intake
    app.include_router(tracking_api.router)
    app.include_router(tracking_page.router)
    app.include_router(tracking_page.short_router)
    install_error_handlers(app)
    return app


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    clock, outbox = FakeClock(T0), RecordingOutbox()
    repo = Repository(FakeDatabase(), "tickets", Ticket, outbox, clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, SIGNER, PUBLIC_URL)
    opened = contact(traveller=AIKO, channel=events.Channel.PHONE, text="フライトが欠航です")
    ticket, _ = await intake.receive_contact("acme", opened)
    url = intake.tracking_url("acme", ticket.id)
    transport = httpx.ASGITransport(app=tracking_app(intake))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        yield Site(http, intake, clock, outbox, ticket.id, url)


def acknowledgement(outbox: RecordingOutbox) -> events.TicketAcknowledged:
    (message,) = [m for m in outbox.messages if m.routing_key == "ticket.acknowledged"]
    return events.TicketAcknowledged.model_validate(orjson.loads(message.body)["payload"])


async def test_the_japanese_sms_acknowledgement_takes_two_segments_not_six(site: Site) -> None:
    told = acknowledgement(site.outbox)
    body = Renderer().render(only(notices_for(told, "acme", Directory()))).body

    assert told.tracking_url.startswith(f"{PUBLIC_URL}/t/")
    assert len(told.tracking_url) == 60  # was 293
    assert told.tracking_url in body
    assert sms_segments(body) == 2  # was 6 (367 UTF-16 units; now about 134)
    assert utf16_length(body) <= 2 * 67


def only(notices: list[object]) -> object:
    (notice,) = notices
    return notice


BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_the_short_link_serves_the_tracking_page_and_its_form(site: Site) -> None:
    page = await site.http.get(f"/t/{site.code}", headers=BROWSER)

    assert page.status_code == 200
    assert site.ticket_id in page.text
    assert f'action="/t/{site.code}/not-helped"' not in page.text  # nothing answered yet
    await site.intake.act(
        "acme",
        site.ticket_id,
        lambda t: t.resolve(code="rebooked", message="済", agent="agent-7", now=T0),
    )
    answered = await site.http.get(f"/t/{site.code}", headers=BROWSER)
    assert f'action="/t/{site.code}/not-helped"' in answered.text
    reopened = await site.http.post(f"/t/{site.code}/not-helped")
    assert reopened.status_code == 200
    assert (await site.intake.get("acme", site.ticket_id)).status.value == "reopened"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
async def test_the_link_answers_json_to_an_api_client_as_the_long_one_did(
    site: Site, accept: str | None
) -> None:
    """``tracking_url`` was ``/v1/track/{token}``: JSON unless a browser asks for the page.
    A client that reads the link it was given keeps reading JSON."""
    headers = {"accept": accept} if accept else {}
    answer = await site.http.get(f"/t/{site.code}", headers=headers)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["ticket_id"] == site.ticket_id
    forged = await site.http.get(f"/t/{site.code[:-3]}xyz", headers=headers)
    assert forged.status_code == 404
    assert forged.json()["detail"] == "unknown or expired link"
    await site.intake.act(
        "acme",
        site.ticket_id,
        lambda t: t.resolve(code="rebooked", message="済", agent="agent-7", now=T0),
    )
    reopened = await site.http.post(f"/t/{site.code}/not-helped", headers=headers)
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "reopened"


async def test_the_json_api_takes_the_short_code_too(site: Site) -> None:
    json = await site.http.get(f"/v1/track/{site.code}", headers={"accept": "application/json"})

    assert json.status_code == 200
    assert json.json()["language"] == "ja"


async def test_the_long_link_keeps_working(site: Site) -> None:
    token = SIGNER.sign(
        subject=site.ticket_id, tenant="acme", purpose="track", expires_at=T0 + timedelta(days=1)
    )

    assert (await site.http.get(f"/track/{token}")).status_code == 200
    assert (await site.http.get(f"/v1/track/{token}")).status_code == 200


def forgeries(code: str, other_ticket_code: str) -> list[str]:
    flipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    return [
        flipped,
        code[:-1],
        code + "0",
        "0" * len(code),
        "z" * len(code),
        other_ticket_code[:12] + code[12:],
        code.lower(),
        "TC-ABCDEFGHIJKL",
    ]


async def test_a_forged_code_gets_the_page_a_bad_token_gets(site: Site) -> None:
    other = await site.intake.receive_contact("acme", contact(channel_message_id="m-2"))
    bad_token = (await site.http.get("/track/not-a-token")).text

    for forged in forgeries(site.code, site.intake.tracking_url("acme", other[0].id)[-25:]):
        page = await site.http.get(f"/t/{forged}", headers=BROWSER)
        assert (page.status_code, page.text) == (404, bad_token), forged
        assert (await site.http.post(f"/t/{forged}/not-helped")).status_code == 404
        assert (await site.http.get(f"/v1/track/{forged}")).status_code == 404


async def test_a_code_of_another_key_ring_is_refused(site: Site) -> None:
    stranger = Signer({"links-2026": "another-deployment-secret-0123456789abc"})
    site.intake.signer = stranger
    foreign = site.intake.tracking_url("acme", site.ticket_id).rsplit("/", 1)[1]
    site.intake.signer = SIGNER

    assert (await site.http.get(f"/t/{foreign}")).status_code == 404


async def test_a_rotated_key_still_opens_its_codes_until_dropped(site: Site) -> None:
    rotated = Signer(
        {"links-2027": "the-next-link-key-0123456789abcdef", "links-2026": SIGNER_SECRET}
    )
    site.intake.signer = rotated

    assert (await site.http.get(f"/t/{site.code}")).status_code == 200
    site.intake.signer = Signer({"links-2027": "the-next-link-key-0123456789abcdef"})
    assert (await site.http.get(f"/t/{site.code}")).status_code == 404


async def test_the_code_expires_with_the_link(site: Site) -> None:
    site.clock.advance(TRACKING_LINK_TTL)
    assert (await site.http.get(f"/t/{site.code}")).status_code == 200

    site.clock.advance(timedelta(days=1))
    assert (await site.http.get(f"/t/{site.code}")).status_code == 404
    assert (await site.http.get(f"/v1/track/{site.code}")).status_code == 404


def test_staff_read_the_short_link_redacted(site: Site) -> None:
    assert redact(f"進捗はこちら：{site.url}") == f"進捗はこちら：{PUBLIC_URL}/t/[redacted]"


async def test_no_span_holds_the_code(site: Site) -> None:
    """Spans go to the collector, which staff read (``runtime.telemetry.template_paths``)."""
    app = tracking_app(site.intake)
    exported, provider = InMemorySpanExporter(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    instrument_requests(app, provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        await http.get(f"/t/{site.code}")

    spans = exported.get_finished_spans()
    assert spans
    for span in spans:
        assert all(site.code not in str(value) for value in (span.attributes or {}).values())
        assert site.code not in span.name
