"""The mailbox reader on an in-memory store and a scripted IMAP folder: mail the gateway
endpoint would refuse is skipped with its reason, counted, and reading goes on past it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aioimaplib import Response

from runtime.clock import FakeClock
from runtime.secret_box import SecretBox
from runtime.settings import DEV_SECRETS_KEY
from runtime.signing import Signer
from runtime.store import Repository
from services.intake.domain import Ticket
from services.intake.mailbox import MailboxConfig, Mailboxes
from services.intake.mailbox_reader import MailboxReader
from services.intake.service import Intake
from services.intake.store import TicketStore
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

HEAD = b"From: li@corp.example\r\nSubject: Trip question\r\n"
SECTIONS = b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" * 25 + b"--b--\r\n"


class Folder:
    """What the reader asks of an IMAP session, answered from a list of mails (UID 1, 2…)."""

    def __init__(self, *mails: bytes) -> None:
        self.mails = mails

    async def select(self, folder: str) -> Response:
        return Response("OK", [b"[UIDVALIDITY 7]", b"SELECT completed"])

    async def uid_search(self, criteria: str) -> Response:
        uids = " ".join(str(uid) for uid in range(1, len(self.mails) + 1))
        return Response("OK", [uids.encode(), b"SEARCH completed"])

    async def uid(self, command: str, uid: str, what: str) -> Response:
        return Response("OK", [b"FETCH", bytearray(self.mails[int(uid) - 1]), b")"])


@dataclass
class MailDesk:
    """Intake's mailbox reader on one in-memory database, with one mailbox of acme's."""

    db: FakeDatabase
    outbox: RecordingOutbox
    mailboxes: Mailboxes
    reader: MailboxReader
    config: MailboxConfig

    async def read(self, folder: Folder) -> int:
        return await self.reader.read_new(folder, self.config)  # type: ignore[arg-type]

    async def status(self) -> dict[str, Any]:
        (status,) = await self.mailboxes.list("acme")
        return status


async def mail_desk() -> MailDesk:
    clock, db, outbox = FakeClock(T0), FakeDatabase(), RecordingOutbox()
    repo: Repository[Ticket] = Repository(db, "tickets", Ticket, outbox, clock)  # type: ignore[arg-type]
    intake = Intake(TicketStore(repo), clock, Signer("s" * 32), "http://intake")
    mailboxes = Mailboxes(db, clock, SecretBox(DEV_SECRETS_KEY))  # type: ignore[arg-type]
    settings: dict[str, Any] = {
        "host": "imap.corp.example",
        "port": 993,
        "tls": True,
        "username": "support",
        "password": "secret",
        "folder": "INBOX",
        "poll_interval_s": 60,
    }
    config = mailboxes.config(await mailboxes.put("acme", "support", settings))
    return MailDesk(db, outbox, mailboxes, MailboxReader(mailboxes, intake), config)


async def test_mail_the_gateway_would_refuse_is_skipped_and_counted_and_reading_goes_on() -> None:
    desk = await mail_desk()
    folder = Folder(
        b"Message-ID: not a message id\r\n" + HEAD + b"\r\nhelp",
        b"Message-ID: <parts@corp.example>\r\n"
        + HEAD
        + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + SECTIONS,
        b"Message-ID: <fine@corp.example>\r\n" + HEAD + b"\r\nand a good one",
    )

    taken = await desk.read(folder)

    status = await desk.status()
    assert taken == 3
    assert (status["last_uid"], status["received"], status["rejected"]) == (3, 1, 2)
    assert status["last_skipped"] == "UID 2: body: more than 20 multipart sections"
    assert [t["text"] for t in desk.db["tickets"].docs.values()] == ["and a good one"]
