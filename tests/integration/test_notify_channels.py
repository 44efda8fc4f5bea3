"""Notify against real channels on 127.0.0.1: a gateway stub (a tiny asyncio HTTP server)
and an SMTP sink (aiosmtpd), with the real broker and store.

Each test runs the notify service in-process (its FastAPI lifespan: consumers, outbox
relay, dispatcher), publishes events to the broker and looks at what the gateway and
the mailbox received, what the bus carried and what the delivery log says.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import Any

import aio_pika
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from pymongo import AsyncMongoClient

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Priority, ReplyChannel, Traveller
from contracts.topology import Topology
from deploy import local
from runtime.auth import Principal, Role, issue_token
from runtime.clock import SystemClock
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import Document
from services.notify import store
from services.notify.config import Gateway, NotifySettings
from services.notify.domain.delivery import Delivery
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.recipients import Directory, TenantStaff
from services.notify.domain.route import Hop
from services.notify.main import bootstrap
from tests.factories import T0, envelope
from tests.polling import until

pytestmark = pytest.mark.integration
SECRET = "wecom-gateway-secret-for-tests"
AGENT = Principal(id="agent-7", role=Role.AGENT, tenants=["acme"])
ACME = {
    "Authorization": "Bearer "
    + issue_token(Signer(Settings().staff_ring()), AGENT, timedelta(hours=1))
}


# --- the channels --------------------------------------------------------------


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class GatewayStub:
    """Answers each path with a script of statuses (the last one repeats); records calls."""

    calls: list[Call] = field(default_factory=list)
    scripts: dict[str, list[int]] = field(default_factory=dict)
    url: str = ""

    def answer(self, path: str, *statuses: int) -> None:
        self.scripts[path] = list(statuses)

    def to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            if not request_line:
                return
            _, path, _ = request_line.decode().split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, value = line.decode().split(":", 1)
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            script = self.scripts.setdefault(path, [200])
            status = script.pop(0) if len(script) > 1 else script[0]
            self.calls.append(Call(path, headers, body, status))
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def gateway() -> AsyncIterator[GatewayStub]:
    stub = GatewayStub()
    server = await asyncio.start_server(stub.serve, "127.0.0.1", 0)
    stub.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield stub
    server.close()
    await server.wait_closed()


class Mailbox:
    """aiosmtpd handler: keeps what it accepts, refuses the addresses in ``refuse`` with 550."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self.refused: list[str] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: SmtpEnvelope, address: str, _: list[str]
    ) -> str:
        if address in self.refuse:
            self.refused.append(address)
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 Message accepted"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler, port = Mailbox(), local.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


# --- notify, running -------------------------------------------------------------


@dataclass
class Notify:
    http: httpx.AsyncClient
    bus: aio_pika.abc.AbstractExchange
    heard: aio_pika.abc.AbstractQueue
    announced: list[dict[str, Any]] = field(default_factory=list)

    async def publish(self, message: Envelope[Any]) -> None:
        await self.bus.publish(
            aio_pika.Message(
                message.model_dump_json().encode(),
                message_id=message.message_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=message.schema_name,
        )

    async def log(self, ticket_id: str) -> list[dict[str, Any]]:
        answer = await self.http.get(
            "/v1/notifications", params={"ticket_id": ticket_id}, headers=ACME
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    async def bus_events(self, routing_key: str) -> list[dict[str, Any]]:
        """Every notification.* event published so far with this routing key."""
        while (message := await self.heard.get(no_ack=True, fail=False)) is not None:
            self.announced.append({"key": message.routing_key, **json.loads(message.body)})
        return [e["payload"] for e in self.announced if e["key"] == routing_key]


StartNotify = Callable[..., AbstractAsyncContextManager[Notify]]


@pytest.fixture
def start_notify(
    settings: Settings, gateway: GatewayStub, mailbox: tuple[Mailbox, int], amqp_url: str
) -> StartNotify:
    """Run notify in this process with gateways at the stub and SMTP at the sink."""

    @asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[Notify]:
        notify = NotifySettings(
            **settings.model_dump(exclude={"service"}),
            gateways={
                channel: Gateway(url=f"{gateway.url}/{channel}", secret=SECRET, timeout_s=2)
                for channel in (ReplyChannel.WECOM, ReplyChannel.SMS, ReplyChannel.WECHAT)
            },
            smtp_port=mailbox[1],
            max_attempts=3,
            backoff_base_s=0.05,
            backoff_cap_s=0.2,
            poll_interval_s=0.1,
            lease_s=5,
            **overrides,
        )
        app = bootstrap(notify)
        topology = Topology(settings.namespace)
        connection = await aio_pika.connect(amqp_url)
        async with connection, app.router.lifespan_context(app):
            channel = await connection.channel()
            exchange = await channel.get_exchange(topology.events_exchange)
            heard = await channel.declare_queue(exclusive=True)
            await heard.bind(exchange, routing_key="notification.*")
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
                yield Notify(http, exchange, heard)

    return running


# --- events ------------------------------------------------------------------------


def person(traveller_id: str, **contact: Any) -> Traveller:
    return Traveller(id=traveller_id, name="Aiko", **contact)


def acknowledged(ticket_id: str, traveller: Traveller) -> Envelope[events.TicketAcknowledged]:
    return envelope(
        events.TicketAcknowledged(
            ticket_id=ticket_id,
            channel=events.Channel.WEB_CHAT,
            traveller=traveller,
            tracking_url=f"https://track.example/{ticket_id}",
            acknowledged_at=T0,
        )
    )


def routed(ticket_id: str, traveller: Traveller) -> Envelope[events.TicketRouted]:
    """Routed now, by the running notify's clock: a promise already passed would go out
    without its time, or not at all behind a newer one (``domain.promises``)."""
    now = datetime.now(UTC)
    return envelope(
        events.TicketRouted(
            ticket_id=ticket_id,
            traveller=traveller,
            queue="air",
            priority=Priority.HIGH,
            first_response_due=now + timedelta(minutes=30),
            resolution_due=now + timedelta(hours=8),
            reason="flight cancelled",
            routed_at=now,
        )
    )


def delivered(log: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return log if log and all(d["status"] in ("delivered", "digested") for d in log) else None


# --- the acceptance tests -------------------------------------------------------------


async def test_each_person_hears_on_their_channel_in_their_language(
    start_notify: StartNotify, gateway: GatewayStub, mailbox: tuple[Mailbox, int]
) -> None:
    by_mail = person("trav-ja", language="ja", email="aiko@acme.example", preferred_channel="email")
    by_wecom = person("trav-tw", language="zh-Hant", im_user_id="wx-mei", preferred_channel="wecom")
    async with start_notify() as notify:
        await notify.publish(acknowledged("TC-JA", by_mail))
        await notify.publish(acknowledged("TC-TW", by_wecom))

        mail_log = await until(lambda: _delivered(notify, "TC-JA"))
        wecom_log = await until(lambda: _delivered(notify, "TC-TW"))

    (mail,) = mailbox[0].messages
    assert mail["To"] == "aiko@acme.example"
    assert "お問い合わせを受け付けました" in mail["Subject"]
    assert "https://track.example/TC-JA" in mail.get_content()
    assert mail["Message-ID"] == "<TC-JA@tripcare.mail>"
    assert mail["Subject"].endswith("[TC-JA]")

    (call,) = gateway.to("/wecom")
    assert call.payload["address"] == "wx-mei"
    assert call.payload["language"] == "zh-Hant"
    assert "我們已收到" in call.payload["subject"]
    assert call.headers["idempotency-key"] == wecom_log[0]["id"]
    assert_signed(call, SECRET)

    for log, channel in ((mail_log, "email"), (wecom_log, "wecom")):
        (entry,) = log
        assert (entry["channel"], entry["status"], entry["attempts"]) == (channel, "delivered", 1)
        assert entry["delivered_at"] is not None


def assert_signed(call: Call, secret: str) -> None:
    """The documented check a gateway makes (docs/notify.md), written out independently."""
    parts = dict(item.split("=", 1) for item in call.headers["x-tripcare-signature"].split(","))
    signed = parts["t"].encode() + b"." + call.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    assert abs(time.time() - int(parts["t"])) < 300


async def _delivered(notify: Notify, ticket_id: str) -> list[dict[str, Any]] | None:
    return delivered(await notify.log(ticket_id))


async def test_a_flaky_gateway_gets_exactly_one_message(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    gateway.answer("/wecom", 503, 502, 200)
    traveller = person("trav-1", language="en", im_user_id="wx-1", preferred_channel="wecom")
    async with start_notify() as notify:
        await notify.publish(acknowledged("TC-FLAKY", traveller))
        (entry,) = await until(lambda: _delivered(notify, "TC-FLAKY"))
        await asyncio.sleep(0.5)  # nothing more arrives
        announced = await notify.bus_events("notification.delivered")

    calls = gateway.to("/wecom")
    assert [c.status for c in calls] == [503, 502, 200]
    assert {c.headers["idempotency-key"] for c in calls} == {entry["id"]}
    assert entry["attempts"] == 3
    assert [a["outcome"] for a in entry["history"]] == ["temporary", "temporary", "delivered"]
    assert [a["notification_id"] for a in announced] == [entry["id"]]


async def test_a_dead_gateway_fails_over_to_the_next_channel_and_says_so(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    gateway.answer("/wecom", 503)
    traveller = person(
        "trav-2",
        language="zh-Hans",
        im_user_id="wx-2",
        phone="+8613800000002",
        preferred_channel="wecom",
        fallback_channels=["sms", "email"],
    )
    async with start_notify() as notify:
        await notify.publish(acknowledged("TC-DEAD", traveller))

        async def sms_delivered() -> list[dict[str, Any]] | None:
            log = await notify.log("TC-DEAD")
            return (
                log
                if any(d["channel"] == "sms" and d["status"] == "delivered" for d in log)
                else None
            )

        wecom, sms = await until(sms_delivered)
        (failed,) = await until(lambda: notify.bus_events("notification.failed"))

    assert len(gateway.to("/wecom")) == 3
    assert (wecom["channel"], wecom["status"], wecom["attempts"]) == ("wecom", "failed", 3)
    assert wecom["error"].startswith("HTTP 503")
    assert (failed["notification_id"], failed["channel"], failed["attempts"]) == (
        wecom["id"],
        "wecom",
        3,
    )
    assert (sms["fallback_of"], sms["attempts"]) == (wecom["id"], 1)
    (text,) = gateway.to("/sms")
    assert text.payload["address"] == "+8613800000002"
    assert "我们已收到" in text.payload["subject"]


async def test_permanent_refusals_are_not_retried(
    start_notify: StartNotify, gateway: GatewayStub, mailbox: tuple[Mailbox, int]
) -> None:
    gateway.answer("/wechat", 400)
    mailbox[0].refuse.add("gone@acme.example")
    by_wechat = person("trav-3", im_user_id="wx-3", preferred_channel="wechat")
    by_mail = person("trav-4", email="gone@acme.example", preferred_channel="email")
    async with start_notify() as notify:
        await notify.publish(acknowledged("TC-400", by_wechat))
        await notify.publish(acknowledged("TC-550", by_mail))

        async def in_inbox(ticket_id: str) -> list[dict[str, Any]] | None:
            log = await notify.log(ticket_id)
            return log if len(log) == 2 and log[1]["status"] == "delivered" else None

        wechat, inbox = await until(lambda: in_inbox("TC-400"))
        mail, mail_inbox = await until(lambda: in_inbox("TC-550"))

    assert len(gateway.to("/wechat")) == 1
    assert mailbox[0].refused == ["gone@acme.example"]
    assert (wechat["attempts"], mail["attempts"]) == (1, 1)
    assert mail["error"].startswith("SMTP recipient refused")
    assert (inbox["channel"], mail_inbox["channel"]) == ("in_app", "in_app")


async def test_a_bounced_mail_fails_its_delivery_once_and_the_next_channel_takes_over(
    start_notify: StartNotify, gateway: GatewayStub, mailbox: tuple[Mailbox, int]
) -> None:
    """The relay took the acknowledgement, then the recipient's server bounced it: intake's
    ``notification.bounced`` names the mail by the Message-ID notify kept and, the thread id
    being guessable, by the delivery id the bounce returned."""
    traveller = person(
        "trav-6",
        email="li.lei@acme.example",
        preferred_channel="email",
        im_user_id="wx-6",
        fallback_channels=["wecom"],
    )
    async with start_notify() as notify:
        await notify.publish(acknowledged("TC-BOUNCE", traveller))
        (sent,) = await until(lambda: _delivered(notify, "TC-BOUNCE"))
        (mail,) = mailbox[0].messages
        assert sent["message_id"] == mail["Message-ID"] == "<TC-BOUNCE@tripcare.mail>"

        bounce = envelope(
            events.NotificationBounced(
                ticket_id="TC-BOUNCE",
                message_id=mail["Message-ID"],
                delivery_id=mail["X-TripCare-Delivery-Id"],
                recipient="li.lei@acme.example",
                status="5.1.1",
                diagnostic="smtp; 550 5.1.1 User unknown",
                bounced_at=T0,
            )
        )
        for _ in range(2):
            await notify.publish(bounce)

        async def fell_back() -> list[dict[str, Any]] | None:
            log = await notify.log("TC-BOUNCE")
            return log if len(log) == 2 and log[1]["status"] == "delivered" else None

        email_entry, wecom_entry = await until(fell_back)
        await asyncio.sleep(0.5)  # nothing more arrives
        failed = await notify.bus_events("notification.failed")

    assert (email_entry["status"], email_entry["error"]) == (
        "failed",
        "bounced: 5.1.1 smtp; 550 5.1.1 User unknown",
    )
    assert (wecom_entry["channel"], wecom_entry["fallback_of"]) == ("wecom", email_entry["id"])
    assert [f["notification_id"] for f in failed] == [email_entry["id"]]
    assert len(gateway.to("/wecom")) == 1


async def test_a_duplicated_event_sends_nothing_twice(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    traveller = person("trav-5", im_user_id="wx-5", preferred_channel="wecom")
    event = acknowledged("TC-DUP", traveller)
    async with start_notify() as notify:
        for _ in range(3):
            await notify.publish(event)
        (entry,) = await until(lambda: _delivered(notify, "TC-DUP"))
        await notify.publish(event)  # and once more, after it was sent
        await asyncio.sleep(1.0)
        assert len(await notify.log("TC-DUP")) == 1

    assert len(gateway.to("/wecom")) == 1
    assert entry["attempts"] == 1


async def test_a_delivery_whose_process_died_mid_attempt_is_sent_after_a_restart(
    start_notify: StartNotify,
    gateway: GatewayStub,
    settings: Settings,
    mongo: AsyncMongoClient[Document],
) -> None:
    """Left behind: an attempt in flight (its lease ran out) and one never tried."""
    db = mongo[settings.model_copy(update={"service": "notify"}).database]
    route = [Hop(channel=ReplyChannel.WECOM, address="wx-6")]
    left: list[Delivery] = []
    for message_id, claimed in (("died-mid-attempt", True), ("never-tried", False)):
        notice = Notice("TC-CRASH", person("trav-6"), "ticket_routed", {})
        delivery = Delivery.create(
            "acme",
            notice,
            Rendered("en", message_id, message_id),
            route,
            source_message_id=message_id,
            now=SystemClock().now() - timedelta(minutes=2),
        )
        if claimed:
            delivery.claim(SystemClock().now() - timedelta(minutes=1), timedelta(seconds=30))
        delivery.version = 1
        await db[store.DELIVERIES].insert_one(delivery.model_dump(by_alias=True))
        left.append(delivery)

    async with start_notify() as notify:
        log = await until(lambda: _delivered(notify, "TC-CRASH"))

    subjects = sorted(c.payload["subject"] for c in gateway.to("/wecom"))
    assert subjects == ["died-mid-attempt", "never-tried"]
    resumed = next(d for d in log if d["id"] == left[0].id)
    assert [a["outcome"] for a in resumed["history"]] == ["temporary", "delivered"]
    assert "interrupted" in resumed["history"][0]["error"]


async def test_a_storm_of_updates_becomes_one_digest(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    traveller = person("trav-7", language="en", im_user_id="wx-7", preferred_channel="wecom")
    async with start_notify(rate_limit=1, rate_window_s=1.5) as notify:
        await notify.publish(acknowledged("TC-STORM", traveller))
        await until(lambda: _delivered(notify, "TC-STORM"))
        for _ in range(4):
            await notify.publish(routed("TC-STORM", traveller))

        async def all_told() -> list[dict[str, Any]] | None:
            log = await _delivered(notify, "TC-STORM")
            sent = log and len(log) == 5 and all(d["delivered_at"] for d in log)
            return log if sent else None

        log = await until(all_told)
        announced = await until(lambda: _at_least(5, notify.bus_events("notification.delivered")))

    first, digest = gateway.to("/wecom")
    assert "We have your request" in first.payload["subject"]
    assert digest.payload["subject"] == "4 updates on your request"
    assert digest.payload["body"].count("TC-STORM is now with our support team") == 4
    assert [d["status"] for d in log].count("digested") == 3, "each at the digest's time"
    assert {a["notification_id"] for a in announced} == {d["id"] for d in log}


async def test_two_tickets_updates_go_out_as_one_mail_per_ticket_each_in_its_thread(
    start_notify: StartNotify, mailbox: tuple[Mailbox, int]
) -> None:
    """One address, two tickets, within the rate window: TC-B's updates never ride in (or
    thread to) TC-A's mail; they follow at the next slot, in TC-B's thread: its first mail,
    answering no acknowledgement (none was sent for TC-B)."""
    traveller = person("trav-8", email="aiko@acme.example", preferred_channel="email")
    first, second = "TC-AAAAAAAAAAAA", "TC-BBBBBBBBBBBB"
    async with start_notify(rate_limit=1, rate_window_s=1.0) as notify:
        await notify.publish(acknowledged(first, traveller))
        await until(lambda: _delivered(notify, first))
        for ticket_id in (first, second, second):
            await notify.publish(routed(ticket_id, traveller))

        async def both_told(ticket_id: str) -> list[dict[str, Any]] | None:
            log = await notify.log(ticket_id)
            return delivered(log) if len(log) == 2 else None

        for ticket_id in (first, second):
            await until(partial(both_told, ticket_id))

    _, *later = mailbox[0].messages  # the acknowledgement, then one mail per ticket
    assert len(later) == 2
    threads = {str(m["Subject"]).strip(): m["In-Reply-To"] for m in later}  # a folded header
    assert threads == {
        f"Your request [{first}] is with our support team": f"<{first}@tripcare.mail>",
        f"2 updates on your request [{second}]": None,
    }
    assert first not in str(next(m for m in later if second in m["Subject"]).get_content())


async def _at_least(count: int, probe: Awaitable[list[Any]]) -> list[Any] | None:
    found = await probe
    return found if len(found) >= count else None


async def test_appeals_reach_the_traveller_and_sla_breaches_the_staff(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    traveller = person("trav-8", language="zh-Hant", im_user_id="wx-8", preferred_channel="wecom")
    directory = Directory(
        agents={"agent-9": Traveller(id="agent-9", im_user_id="wx-a9", preferred_channel="wecom")},
        tenants={"acme": TenantStaff(support_manager=Traveller(id="sm-1"))},
    )
    appeal = events.AppealFiled(
        appeal_id="AP-1",
        ticket_id="TC-APPEAL",
        traveller=traveller,
        reason="退款金額不對",
        appeal_number=1,
        level=events.AppealLevel.EXPERT,
        appealed_resolution=1,
        via="survey",
        filed_at=T0,
    )
    breach = events.SlaBreached(
        ticket_id="TC-APPEAL",
        clock=events.SlaClock.FIRST_RESPONSE,
        priority=Priority.CRITICAL,
        previous_priority=Priority.HIGH,
        queue="expert",
        assignee="agent-9",
        level=events.EscalationLevel.MANAGEMENT,
        support_manager="sm-1",
        deadline=T0,
        breached_at=T0,
    )
    async with start_notify(directory=directory) as notify:
        await notify.publish(envelope(appeal))
        await notify.publish(envelope(breach))

        async def three_told() -> list[dict[str, Any]] | None:
            log = await _delivered(notify, "TC-APPEAL")
            return log if log and len(log) == 3 else None

        log = await until(three_told)

    told = {(d["recipient"], d["channel"], d["template"], d["language"]) for d in log}
    assert told == {
        ("trav-8", "wecom", "appeal_filed", "zh-Hant"),
        ("agent-9", "wecom", "sla_breached", "en"),
        ("sm-1", "in_app", "sla_breached_management", "en"),
    }
    by_address = {c.payload["address"]: c.payload for c in gateway.to("/wecom")}
    assert "專家團隊" in by_address["wx-8"]["body"]
    assert by_address["wx-a9"]["subject"].startswith("[critical] SLA breached: TC-APPEAL")
