"""Attachments kept: e-mailed and in-app files on the ticket, staff downloads, agents' files.

One intake process (real broker and store) serves the module; each test has its own tenant.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from runtime.store import Document
from tests.conftest import Stack

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + b"x" * 300_000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Tenant:
    def __init__(self, http: httpx.AsyncClient, stack: Stack, name: str) -> None:
        self.http = http
        self.stack = stack
        self.name = name
        self.base = f"{stack.url('intake')}/v1"
        self.agent = Stack.token("agent-7", tenants=(name,))
        self.gateway: dict[str, str] = {}

    async def mail(self, raw: bytes) -> dict[str, Any]:
        answer = await self.http.post(
            f"{self.base}/channels/email/contacts",
            content=raw,
            headers={**self.gateway, "content-type": "message/rfc822"},
        )
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        answer = await self.http.get(f"{self.base}/tickets/{ticket_id}", headers=self.agent)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@pytest.fixture
async def tenant(intake_only: Stack) -> AsyncIterator[Tenant]:
    async with httpx.AsyncClient(timeout=30) as http:
        desk = Tenant(http, intake_only, "t" + uuid.uuid4().hex[:8])
        desk.gateway = await intake_only.api_key(http, desk.name)
        yield desk


def mail_with(*files: tuple[str, str, bytes], message_id: str = "<m1@acme.example>") -> bytes:
    message = EmailMessage()
    message["From"] = "Li Lei <li.lei@acme.example>"
    message["To"] = "support@acme.example"
    message["Subject"] = "Itinerary for my trip"
    message["Message-ID"] = message_id
    message.set_content("Please check the attached itinerary.")
    for name, content_type, content in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


async def test_an_emailed_pdf_is_on_the_ticket_and_staff_download_it(tenant: Tenant) -> None:
    opened = await tenant.mail(mail_with(("../../行程单 itinerary.pdf", "application/pdf", PDF)))

    ticket = await tenant.ticket(opened["ticket_id"])
    (attachment,) = ticket["attachments"]
    assert attachment["name"] == "行程单 itinerary.pdf"
    assert (attachment["content_type"], attachment["size"]) == ("application/pdf", len(PDF))
    assert attachment["source"] == "traveller"

    url = f"{tenant.stack.url('intake')}{attachment['download_url']}"
    download = await tenant.http.get(url, headers=tenant.agent)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="___ itinerary.pdf"')
    assert "filename*=UTF-8''%E8%A1%8C%E7%A8%8B%E5%8D%95%20itinerary.pdf" in disposition

    assert (await tenant.http.get(url)).status_code == 401
    stranger = Stack.token("agent-9", tenants=("globex",))
    assert (await tenant.http.get(url, headers=stranger)).status_code == 404


async def test_a_file_of_a_type_not_accepted_is_listed_not_kept(tenant: Tenant) -> None:
    exe = b"MZ\x90\x00" + b"\x00" * 100
    opened = await tenant.mail(
        mail_with(("invoice.pdf.exe", "application/pdf", exe), ("scan.png", "image/png", PNG))
    )

    ticket = await tenant.ticket(opened["ticket_id"])
    refused, kept = ticket["attachments"]
    assert (refused["name"], refused["refused"], refused["download_url"]) == (
        "invoice.pdf.exe",
        True,
        None,
    )
    assert (kept["name"], kept["content_type"]) == ("scan.png", "image/png")
    assert any(e["kind"] == "attachment_refused" for e in ticket["timeline"])


async def test_a_mail_of_only_a_file_opens_a_ticket_and_one_of_no_kept_file_is_422(
    tenant: Tenant,
) -> None:
    """A boarding pass sent with no subject and no text is a contact to answer (docs/api.md,
    e-mail row); a mail of only a program file is refused, naming it and why."""
    message = EmailMessage()
    message["From"] = "Li Lei <li.lei@acme.example>"
    message["Message-ID"] = "<only-a-file@acme.example>"
    message.add_attachment(PNG, maintype="image", subtype="png", filename="boarding.png")
    opened = await tenant.mail(message.as_bytes())

    assert opened["outcome"] == "opened"
    ticket = await tenant.ticket(opened["ticket_id"])
    assert (ticket["text"], ticket["status"]) == ("[Message with attachments only]", "acknowledged")
    (kept,) = ticket["attachments"]
    assert (kept["name"], kept["refused"]) == ("boarding.png", False)

    del message["Message-ID"]
    message["Message-ID"] = "<only-a-program@acme.example>"
    message.clear_content()
    message.add_attachment(b"MZ\x90\x00" * 30, maintype="application", subtype="x-msdownload")
    refused = await tenant.http.post(
        f"{tenant.base}/channels/email/contacts",
        content=message.as_bytes(),
        headers={**tenant.gateway, "content-type": "message/rfc822"},
    )
    assert refused.status_code == 422, refused.text
    assert [(e["loc"], e["msg"]) for e in refused.json()["detail"]] == [
        (["body", "attachments"], "no text, and no attachment kept: attachment (type not accepted)")
    ]


async def test_a_mail_too_long_for_a_contact_opens_with_its_full_text_as_message_txt(
    tenant: Tenant,
) -> None:
    """A pasted itinerary over 20,000 characters is shortened, not refused (docs/api.md,
    e-mail row); its full text is on the ticket as message.txt. A normalised contact that
    long is still a gateway's mistake: 422."""
    itinerary = "".join(
        f"Day {n}: CA1501 PEK 08:00 -> SHA 10:15, hotel, meeting.\n" for n in range(800)
    )
    message = EmailMessage()
    message["From"] = "Li Lei <li.lei@acme.example>"
    message["Subject"] = "My itinerary"
    message["Message-ID"] = "<long@acme.example>"
    message.set_content(itinerary)
    opened = await tenant.mail(message.as_bytes())

    assert opened["outcome"] == "opened"
    ticket = await tenant.ticket(opened["ticket_id"])
    marker = "[Message shortened: the full text is attached as message.txt]"
    assert ticket["text"].endswith(marker)  # the ticket keeps the shortened text whole
    assert itinerary.startswith(ticket["text"].removesuffix(marker).rstrip())
    (full,) = ticket["attachments"]
    assert (full["name"], full["content_type"], full["refused"]) == (
        "message.txt",
        "text/plain",
        False,
    )
    url = f"{tenant.stack.url('intake')}{full['download_url']}"
    download = await tenant.http.get(url, headers=tenant.agent)
    assert download.status_code == 200
    assert download.content.decode() == itinerary.rstrip("\n")

    contact = {
        "channel": "web_chat",
        "channel_message_id": "too-long",
        "traveller": {"id": "trav-1"},
        "text": itinerary,
    }
    refused = await tenant.http.post(
        f"{tenant.base}/contacts", json=contact, headers=tenant.gateway
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["body", "text"]


async def test_an_in_app_gateway_sends_a_photo_inline(tenant: Tenant) -> None:
    body = {
        "message_id": "app-1",
        "user_id": "trav-5",
        "text": "Here is my hotel invoice",
        "attachments": [
            {"name": "invoice.jpg", "content_type": "image/jpeg", "size": 4, "content": ""},
            {"name": "receipt.png", "content_type": "image/png", "size": len(PNG)}
            | {"content": base64.b64encode(PNG).decode()},
        ],
    }
    answer = await tenant.http.post(
        f"{tenant.base}/channels/in_app/contacts", json=body, headers=tenant.gateway
    )
    assert answer.status_code == 201, answer.text

    ticket = await tenant.ticket(answer.json()["ticket_id"])
    names = {a["name"]: a for a in ticket["attachments"]}
    assert names["receipt.png"]["download_url"]
    assert names["invoice.jpg"]["refused"] is True


async def test_a_redelivered_mail_keeps_one_copy_of_its_files(
    tenant: Tenant, mongo: AsyncMongoClient[Document]
) -> None:
    raw = mail_with(("itinerary.pdf", "application/pdf", PDF), message_id="<again@acme.example>")
    first = await tenant.mail(raw)
    second = await tenant.mail(raw)

    assert second["outcome"] == "duplicate"
    ticket = await tenant.ticket(first["ticket_id"])
    assert len(ticket["attachments"]) == 1
    db = mongo[f"{tenant.stack.env['TRIPCARE_NAMESPACE']}_intake"]
    records = await db["attachments"].find({"tenant_id": tenant.name}).to_list()
    assert [(r["_id"], r["state"]) for r in records] == [(ticket["attachments"][0]["id"], "kept")]


async def test_an_agent_attaches_a_file_and_the_traveller_may_open_it(tenant: Tenant) -> None:
    opened = await tenant.mail(mail_with(message_id="<ask@acme.example>"))
    ticket_id = opened["ticket_id"]

    answer = await tenant.http.post(
        f"{tenant.base}/tickets/{ticket_id}/reply",
        data={"message": "Your new itinerary is attached."},
        files=[("files", ("new-itinerary.pdf", PDF, "application/pdf"))],
        headers=tenant.agent,
    )

    assert answer.status_code == 200, answer.text
    (attachment,) = answer.json()["attachments"]
    assert (attachment["source"], attachment["by"]) == ("agent", "agent-7")
    replied = [e for e in answer.json()["timeline"] if e["kind"] == "replied"]
    assert replied[-1]["details"]["files"] == "new-itinerary.pdf"


async def test_a_file_named_as_a_program_is_kept_and_sent_under_its_types_name(
    tenant: Tenant,
) -> None:
    opened = await tenant.mail(
        mail_with(("statement.hta", "application/pdf", PDF), message_id="<hta@acme.example>")
    )
    ticket_id = opened["ticket_id"]

    answer = await tenant.http.post(
        f"{tenant.base}/tickets/{ticket_id}/reply",
        data={"message": "Your voucher is attached."},
        files=[("files", ("voucher.pdf.exe\u202e", PNG, "application/pdf"))],
        headers=tenant.agent,
    )

    assert answer.status_code == 200, answer.text
    mailed, replied = answer.json()["attachments"]
    assert (mailed["name"], mailed["content_type"]) == ("statement.pdf", "application/pdf")
    assert (replied["name"], replied["content_type"]) == ("voucher.png", "image/png")
    for attachment, name in ((mailed, "statement.pdf"), (replied, "voucher.png")):
        url = f"{tenant.stack.url('intake')}{attachment['download_url']}"
        download = await tenant.http.get(url, headers=tenant.agent)
        assert f'filename="{name}"' in download.headers["content-disposition"]


async def test_a_refused_file_refuses_the_reply_and_writes_nothing(
    tenant: Tenant, mongo: AsyncMongoClient[Document]
) -> None:
    opened = await tenant.mail(mail_with(message_id="<refuse@acme.example>"))
    ticket_id = opened["ticket_id"]

    answer = await tenant.http.post(
        f"{tenant.base}/tickets/{ticket_id}/reply",
        data={"message": "See attached"},
        files=[("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))],
        headers=tenant.agent,
    )
    assert answer.status_code == 422
    assert "tool.exe: type not accepted" in answer.text
    empty = await tenant.http.post(
        f"{tenant.base}/tickets/{ticket_id}/reply",
        data={"message": "See attached"},
        files=[("files", ("empty.pdf", b"", "application/pdf"))],
        headers=tenant.agent,
    )
    assert (empty.status_code, empty.json()["detail"][0]["msg"]) == (422, "empty.pdf: empty")

    closed = await tenant.http.post(
        f"{tenant.base}/tickets/{ticket_id}/close", headers=tenant.agent
    )
    assert closed.status_code == 200
    late = await tenant.http.post(
        f"{tenant.base}/tickets/{ticket_id}/reply",
        data={"message": "One more thing"},
        files=[("files", ("itinerary.pdf", PDF, "application/pdf"))],
        headers=tenant.agent,
    )
    assert late.status_code == 409

    ticket = await tenant.ticket(ticket_id)
    assert ticket["attachments"] == []
    assert "replied" not in [e["kind"] for e in ticket["timeline"]]
    db = mongo[f"{tenant.stack.env['TRIPCARE_NAMESPACE']}_intake"]
    assert await db["attachments"].find({"tenant_id": tenant.name}).to_list() == []


async def test_the_console_shows_the_files_and_an_agent_attaches_one_to_a_reply(
    tenant: Tenant,
) -> None:
    opened = await tenant.mail(
        mail_with(("itinerary.pdf", "application/pdf", PDF), message_id="<console@acme.example>")
    )
    ticket_id = opened["ticket_id"]
    console = f"{tenant.stack.url('intake')}/console/tickets/{ticket_id}"
    cookie = {"Cookie": "tripcare_staff=" + tenant.agent["Authorization"].removeprefix("Bearer ")}

    page = await tenant.http.get(console, headers=cookie)
    assert page.status_code == 200
    (attachment,) = (await tenant.ticket(ticket_id))["attachments"]
    link = f"/console/tickets/{ticket_id}/attachments/{attachment['id']}"
    assert f'href="{link}"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    download = await tenant.http.get(f"{tenant.stack.url('intake')}{link}", headers=cookie)
    assert download.content == PDF
    stranger = Stack.token("a9", tenants=("globex",))["Authorization"].removeprefix("Bearer ")
    other = await tenant.http.get(
        f"{tenant.stack.url('intake')}{link}", headers={"Cookie": f"tripcare_staff={stranger}"}
    )
    assert other.status_code == 404

    sent = await tenant.http.post(
        f"{console}/reply",
        data={"message": "Here is the voucher"},
        files=[("files", ("voucher.png", PNG, "image/png"))],
        headers=cookie,
    )
    assert sent.status_code == 303, sent.text
    names = [a["name"] for a in (await tenant.ticket(ticket_id))["attachments"]]
    assert names == ["itinerary.pdf", "voucher.png"]

    refused = await tenant.http.post(
        f"{console}/reply",
        data={"message": "and this"},
        files=[("files", ("run.exe", b"MZ\x90\x00", "application/octet-stream"))],
        headers=cookie,
    )
    assert refused.status_code == 422
    assert "run.exe: type not accepted" in refused.text
