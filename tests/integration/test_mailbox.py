"""The IMAP reader against a real Dovecot and the real store: what it takes, skips and re-reads."""

from __future__ import annotations

import asyncio
import imaplib
import uuid
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any, TypeVar

import pytest
from pymongo import AsyncMongoClient

from runtime.clock import SystemClock
from runtime.secret_box import SecretBox
from runtime.settings import DEV_SECRETS_KEY
from runtime.signing import Signer
from runtime.store import Document, Repository
from services.intake.attachment_store import AttachmentStore
from services.intake.channels.imap_names import imap_mailbox
from services.intake.domain import Ticket
from services.intake.mailbox import Mailboxes
from services.intake.mailbox_reader import MailboxReader
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.conftest import ImapServer
from tests.fakes import RecordingOutbox

pytestmark = pytest.mark.integration
T = TypeVar("T")


def mail(message_id: str | None, sender: str | None = "li@corp.example", text: str = "hi") -> bytes:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["Subject"] = "Trip question"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content(text)
    return message.as_bytes()


async def until(probe: Callable[[], Awaitable[T | None]], timeout_s: float = 20.0) -> T:
    for _ in range(int(timeout_s / 0.2)):
        if (found := await probe()) is not None:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


class Desk:
    def __init__(self, mongo: AsyncMongoClient[Document]) -> None:
        clock = SystemClock()
        db = mongo["m" + uuid.uuid4().hex[:10]]
        repo = Repository(db, "tickets", Ticket, RecordingOutbox(), clock)
        self.intake = Intake(
            TicketStore(repo), clock, Signer("s" * 32), "http://i", files=AttachmentStore(db, clock)
        )
        self.mailboxes = Mailboxes(
            db, clock, SecretBox(DEV_SECRETS_KEY), allow_private_hosts=True
        )  # the test's Dovecot listens on 127.0.0.1

    def reader(self) -> MailboxReader:
        return MailboxReader(self.mailboxes, self.intake, scan_interval_s=0.2)

    async def configure(
        self, server: ImapServer, poll_interval_s: float = 1, folder: str = "INBOX"
    ) -> None:
        await self.mailboxes.put(
            "acme",
            "support",
            {
                "host": server.host,
                "port": server.port,
                "tls": False,
                "username": server.username,
                "password": server.password,
                "folder": folder,
                "poll_interval_s": poll_interval_s,
            },
        )

    async def status(self) -> dict[str, Any]:
        (doc,) = await self.mailboxes.list("acme")
        return doc

    async def tickets(self) -> list[dict[str, Any]]:
        return await self.intake.tickets.repo.collection.find({"tenant_id": "acme"}).to_list()


async def test_unreadable_mail_is_skipped_and_counted_and_the_rest_is_taken(
    mongo: AsyncMongoClient[Document], imap_server: ImapServer
) -> None:
    desk = Desk(mongo)
    await desk.configure(imap_server)
    imap_server.append(mail("<no-sender@x>", sender=None))
    imap_server.append(mail(None, text="a mail without a Message-ID"))
    reader = desk.reader()
    reader.start()
    try:

        async def read_two() -> dict[str, Any] | None:
            status = await desk.status()
            return status if status.get("last_uid") == 2 else None

        status = await until(read_two)
        assert (status["received"], status["rejected"]) == (1, 1)
        assert status["last_skipped"] == "UID 1: From: no sender address"
        assert status["last_error"] is None

        imap_server.append(mail("<later@corp.example>", text="and one more"))

        async def three_read() -> dict[str, Any] | None:
            status = await desk.status()
            return status if status.get("last_uid") == 3 else None

        await until(three_read)
    finally:
        await reader.stop(5)
    texts = sorted(t["text"] for t in await desk.tickets())
    assert texts == ["a mail without a Message-ID", "and one more"]


async def test_reading_the_folder_again_makes_nothing_twice(
    mongo: AsyncMongoClient[Document], imap_server: ImapServer
) -> None:
    desk = Desk(mongo)
    await desk.configure(imap_server)
    imap_server.append(mail("<once@corp.example>"))
    imap_server.append(mail(None, text="no id, same bytes each time"))
    for _ in range(2):  # the second time as after a UIDVALIDITY change
        await desk.mailboxes.collection.update_many({}, {"$set": {"last_uid": 0}})
        reader = desk.reader()
        reader.start()
        try:
            await until(lambda: _at_uid(desk, 2))
        finally:
            await reader.stop(5)
    tickets = await desk.tickets()
    assert len(tickets) == 2
    assert all(t["repeat_contacts"] == 0 for t in tickets)


async def _at_uid(desk: Desk, uid: int) -> bool | None:
    return True if (await desk.status()).get("last_uid") == uid else None


async def test_only_one_replica_reads_a_mailbox(
    mongo: AsyncMongoClient[Document], imap_server: ImapServer
) -> None:
    desk = Desk(mongo)
    await desk.configure(imap_server, poll_interval_s=30)
    first, second = desk.reader(), desk.reader()
    await first.scan()
    await second.scan()
    try:
        assert len(first._reading) == 1
        assert second._reading == {}
        assert (await desk.status())["lease_owner"] == first.owner
    finally:
        await first.stop(5)
        await second.stop(5)


async def test_a_refused_login_is_reported_on_the_mailbox(
    mongo: AsyncMongoClient[Document], imap_server: ImapServer
) -> None:
    desk = Desk(mongo)
    wrong = ImapServer(imap_server.host, imap_server.port, imap_server.username, "wrong")
    await desk.configure(wrong)
    reader = desk.reader()
    reader.start()
    try:

        async def reported() -> str | None:
            error = (await desk.status()).get("last_error")
            return str(error) if error else None

        assert "login refused" in await until(reported)
    finally:
        await reader.stop(5)


@pytest.mark.parametrize("folder", ["Support Desk", "客服 & 差旅"])
async def test_a_folder_named_with_spaces_or_chinese_is_read(
    mongo: AsyncMongoClient[Document], imap_server: ImapServer, folder: str
) -> None:
    """IMAP names a folder as a quoted string in modified UTF-7 (RFC 3501 5.1.3): sent bare,
    "Support Desk" was two arguments and 客服 not ASCII, so neither folder was ever read."""
    wire = imap_mailbox(folder)
    with imaplib.IMAP4(imap_server.host, imap_server.port) as client:
        client.login(imap_server.username, imap_server.password)
        assert client.create(wire)[0] == "OK"
    imap_server.append(mail("<desk@corp.example>", text="in the shared folder"), folder=wire)
    desk = Desk(mongo)
    await desk.configure(imap_server, folder=folder)
    reader = desk.reader()
    reader.start()
    try:

        async def one_read() -> dict[str, Any] | None:
            status = await desk.status()
            return status if status.get("last_uid") == 1 else None

        status = await until(one_read)
    finally:
        await reader.stop(5)
    assert status["last_error"] is None
    assert [t["text"] for t in await desk.tickets()] == ["in the shared folder"]
