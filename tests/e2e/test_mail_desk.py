"""The mail desk end to end: a tenant's IMAP mailbox (a real Dovecot), the four services,
notify's mail caught by an SMTP sink. A reply to the acknowledgement joins its ticket, and
the PDFs travellers mail and agents attach reach the other side; a bounce of a notice fails
its delivery in notify's log.
"""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email.message import EmailMessage, Message
from email.policy import default
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Session
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from deploy import local
from tests.conftest import ImapServer, Stack

pytestmark = pytest.mark.e2e
T = TypeVar("T")
PDF = b"%PDF-1.4\n%itinerary CA1501\n" + b"0" * 50_000 + b"\n%%EOF\n"
VOUCHER = b"%PDF-1.4\n%hotel voucher\n%%EOF\n"


class Sink:
    """aiosmtpd handler keeping every mail notify sends."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails if m["To"] == address]


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    port = local.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_stack(
    amqp_url: str, mongo_url: str, namespace: str, tmp_path: Path, sink: tuple[Sink, int]
) -> Iterator[Stack]:
    stack = Stack(amqp_url, mongo_url, namespace, tmp_path)
    stack.env.update(
        {
            "TRIPCARE_NOTIFY_SMTP_PORT": str(sink[1]),
            "TRIPCARE_MAILBOX_SCAN_S": "0.5",
            "TRIPCARE_MAILBOX_ALLOW_PRIVATE_HOSTS": "true",  # the test's Dovecot: 127.0.0.1
            "TRIPCARE_MAIL_DOMAIN": "mail.acme-travel.test",
        }
    )
    stack.start_all()
    try:
        yield stack
    finally:
        stack.stop_all()


async def until(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 30.0) -> T:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if (found := await probe()) is not None:
            return found
        await asyncio.sleep(0.3)
    raise AssertionError("timed out")


def traveller_mail(
    message_id: str,
    subject: str,
    text: str,
    *,
    pdf: tuple[str, bytes] | None = None,
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = "Li Lei <li.lei@corp.example>"
    message["To"] = "support@acme-travel.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if pdf:
        message.add_attachment(pdf[1], maintype="application", subtype="pdf", filename=pdf[0])
    return message.as_bytes()


def pdf_parts(mail: Message) -> list[tuple[str | None, bytes]]:
    assert isinstance(mail, EmailMessage)
    parts = []
    for part in mail.iter_attachments():
        payload = part.get_payload(decode=True)
        parts.append((part.get_filename(), payload if isinstance(payload, bytes) else b""))
    return parts


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def test_a_reply_to_the_acknowledgement_joins_its_ticket_and_pdfs_travel_both_ways(
    mail_stack: Stack, imap_server: ImapServer, sink: tuple[Sink, int], http: httpx.AsyncClient
) -> None:
    intake = f"{mail_stack.url('intake')}/v1"
    admin = Stack.token("ops", "admin")
    agent = Stack.token("agent-7")
    mailbox = {
        "host": imap_server.host,
        "port": imap_server.port,
        "tls": False,
        "username": imap_server.username,
        "password": imap_server.password,
        "poll_interval_s": 20,
    }
    created = await http.put(f"{intake}/admin/mailboxes/support", json=mailbox, headers=admin)
    assert created.status_code == 201, created.text
    assert "password" not in created.json()

    original = f"<{uuid.uuid4().hex}@corp.example>"
    imap_server.append(
        traveller_mail(
            original,
            "Flight CA1501 cancelled",
            "My flight CA1501 was cancelled. Please rebook me.",
            pdf=("itinerary.pdf", PDF),
        )
    )

    async def opened() -> dict[str, Any] | None:
        page = await http.get(f"{intake}/tickets", params={"q": "CA1501"}, headers=agent)
        items = page.json()["items"]
        return dict(items[0]) if items else None

    ticket_id = (await until(opened))["id"]

    async def acknowledgement() -> EmailMessage | None:
        acks = [m for m in sink[0].to("li.lei@corp.example") if m["In-Reply-To"] == original]
        return acks[0] if acks else None

    ack = await until(acknowledgement)
    assert ack["Message-ID"] == f"<{ticket_id}@mail.acme-travel.test>"
    assert f"[{ticket_id}]" in ack["Subject"]

    # The traveller answers the acknowledgement from a client that keeps only its parent.
    imap_server.append(
        traveller_mail(
            f"<{uuid.uuid4().hex}@corp.example>",
            f"Re: {ack['Subject']}",
            "Here is my new booking request, see attached.",
            pdf=("booking request.pdf", PDF),
            In_Reply_To=ack["Message-ID"],
            References=ack["Message-ID"],
        )
    )

    async def followed_up() -> dict[str, Any] | None:
        ticket = (await http.get(f"{intake}/tickets/{ticket_id}", headers=agent)).json()
        return dict(ticket) if ticket["repeat_contacts"] == 1 else None

    ticket = await until(followed_up)
    assert [a["name"] for a in ticket["attachments"]] == ["itinerary.pdf", "booking request.pdf"]
    for attachment in ticket["attachments"]:
        download = await http.get(
            f"{mail_stack.url('intake')}{attachment['download_url']}", headers=agent
        )
        assert (download.status_code, download.content) == (200, PDF)
    tickets = (await http.get(f"{intake}/tickets", headers=agent)).json()["items"]
    assert [t["id"] for t in tickets] == [ticket_id]

    answered = await http.post(
        f"{intake}/tickets/{ticket_id}/reply",
        data={"message": "You are rebooked on CA1503; the hotel voucher is attached."},
        files=[("files", ("voucher.pdf", VOUCHER, "application/pdf"))],
        headers=agent,
    )
    assert answered.status_code == 200, answered.text

    async def reply_mail() -> EmailMessage | None:
        found = [m for m in sink[0].to("li.lei@corp.example") if pdf_parts(m)]
        return found[0] if found else None

    reply = await until(reply_mail)
    assert pdf_parts(reply) == [("voucher.pdf", VOUCHER)]
    assert reply["In-Reply-To"] == ack["Message-ID"]
    assert f"[{ticket_id}]" in reply["Subject"]
    acks = [m for m in sink[0].mails if m["Message-ID"] == ack["Message-ID"]]
    assert len(acks) == 1, "a threaded reply is not acknowledged again"

    status = (await http.get(f"{intake}/admin/mailboxes", headers=admin)).json()
    assert (status[0]["received"], status[0]["rejected"], status[0]["last_error"]) == (2, 0, None)


def delivery_status_notification(returned: EmailMessage) -> bytes:
    """The recipient's server refuses the mail the relay took (RFC 3464, as Postfix writes it)."""
    return (
        "From: MAILER-DAEMON@mx.corp.example (Mail Delivery System)\r\n"
        "To: support@acme-travel.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.corp.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n'
        "\r\n--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.corp.example\r\n\r\n"
        "Final-Recipient: rfc822; li.lei@corp.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {returned['From']}\r\nMessage-ID: {returned['Message-ID']}\r\n"
        f"X-TripCare-Delivery-Id: {returned['X-TripCare-Delivery-Id']}\r\n"
        f"References: {returned['References'] or ''}\r\nSubject: notice\r\n"
        "\r\n--R--\r\n"
    ).encode()


async def test_a_bounce_of_the_acknowledgement_fails_its_delivery_in_notifys_log(
    mail_stack: Stack, sink: tuple[Sink, int], http: httpx.AsyncClient
) -> None:
    """The bounce comes in like any mail (here by the gateway endpoint): intake records it on
    the ticket, notify's log says the acknowledgement's mail failed, the next channel of the
    traveller's route (the in-app inbox) takes it over, and the ticket shows why."""
    intake = f"{mail_stack.url('intake')}/v1"
    agent = Stack.token("agent-7")
    gateway = {**await mail_stack.api_key(http), "content-type": "message/rfc822"}
    original = f"<{uuid.uuid4().hex}@corp.example>"
    raw = traveller_mail(original, "Hotel invoice", "Please send the invoice for my stay.")
    opened = await http.post(f"{intake}/channels/email/contacts", content=raw, headers=gateway)
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["ticket_id"]

    async def acknowledgement() -> EmailMessage | None:
        acks = [m for m in sink[0].to("li.lei@corp.example") if m["In-Reply-To"] == original]
        return acks[0] if acks else None

    ack = await until(acknowledgement)
    bounce = delivery_status_notification(ack)
    recorded = await http.post(f"{intake}/channels/email/contacts", content=bounce, headers=gateway)
    assert (recorded.status_code, recorded.json()["outcome"]) == (200, "recorded"), recorded.text

    async def failed() -> dict[str, Any] | None:
        log = await http.get(
            f"{mail_stack.url('notify')}/v1/notifications",
            params={"ticket_id": ticket_id},
            headers=agent,
        )
        mails = [d for d in log.json()["items"] if d["message_id"] == ack["Message-ID"]]
        return mails[0] if mails and mails[0]["status"] == "failed" else None

    delivery = await until(failed)
    assert delivery["error"] == "bounced: 5.1.1 smtp; 550 5.1.1 User unknown"

    async def told() -> list[str] | None:
        ticket = (await http.get(f"{intake}/tickets/{ticket_id}", headers=agent)).json()
        steps = [f"{entry['kind']}: {entry['summary']}" for entry in ticket["timeline"]]
        fell_back = "notified: ticket_acknowledged delivered via in_app"
        return steps if any(step.startswith(fell_back) for step in steps) else None

    steps = await until(told)
    for kind in ("bounce: Delivery failure report", "notification_failed: ticket_acknowledged"):
        assert any(step.startswith(kind) for step in steps), steps
    sent, failed = (
        next(n for n, step in enumerate(steps) if step.startswith(kind))
        for kind in (
            "notified: ticket_acknowledged delivered via email",
            "notification_failed: ticket_acknowledged failed via email",
        )
    )
    assert sent < failed, steps
