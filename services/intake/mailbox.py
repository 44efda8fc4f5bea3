"""Tenants' support mailboxes read over IMAP: each new mail becomes a contact, like any channel.

One document per mailbox (``mailboxes``) holds its settings (the password
sealed), where reading got to (UIDVALIDITY + last UID) and a lease: any number
of intake replicas run a ``MailboxReader``, but only the lease holder reads a
mailbox. It waits with IDLE where the server offers it, else polls. A mail is
marked read past (``last_uid``) only after its contact is committed, and
contacts are idempotent on the Message-ID, so a crash re-reads at most a few
mails and makes nothing twice. A mail intake cannot take (no sender, no text)
is skipped and counted; one it cannot take *now* (store down) stops the round
and is read again next time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import aioimaplib
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts.events import Channel
from runtime.clock import Clock, epoch_ms
from runtime.secret_box import SecretBox
from runtime.store import Document
from services.intake.attachments import files_of_email
from services.intake.channels import PayloadError, normalise
from services.intake.service import Intake

log = logging.getLogger(__name__)

MAILBOXES = "mailboxes"
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class MailboxConfig:
    id: str
    tenant_id: str
    name: str
    host: str
    port: int
    tls: bool
    username: str
    password: str
    folder: str
    poll_interval_s: float
    revision: int

    @property
    def lease_ms(self) -> int:
        """Renewed at least once per wait, so three waits pass before another replica takes over."""
        return int((self.poll_interval_s * 3 + 30) * 1000)


def mailbox_id(tenant_id: str, name: str) -> str:
    return f"{tenant_id}|{name}"


class Mailboxes:
    """The mailbox documents: settings, reading position and lease."""

    def __init__(self, db: AsyncDatabase[Document], clock: Clock, box: SecretBox) -> None:
        self.collection: AsyncCollection[Document] = db[MAILBOXES]
        self.clock = clock
        self.box = box

    async def put(self, tenant_id: str, name: str, settings: dict[str, Any]) -> Document:
        """Create or change a mailbox; the reader restarts on it. Reading goes on where it was
        unless the server, account or folder changed.
        """
        key = mailbox_id(tenant_id, name)
        current = await self.collection.find_one({"_id": key}) or {}
        where = ("host", "port", "username", "folder")
        same = all(current.get(k) == settings[k] for k in where)
        doc = {
            "_id": key,
            "tenant_id": tenant_id,
            "name": name,
            **{k: v for k, v in settings.items() if k != "password"},
            "password": self.box.seal(settings["password"]),
            "revision": int(current.get("revision", 0)) + 1,
            "uidvalidity": current.get("uidvalidity") if same else None,
            "last_uid": current.get("last_uid", 0) if same else 0,
            "received": current.get("received", 0),
            "rejected": current.get("rejected", 0),
            "last_error": None,
            "last_skipped": current.get("last_skipped"),
            "last_checked_at": current.get("last_checked_at"),
            "lease_owner": None,
            "lease_until_ms": 0,
        }
        await self.collection.replace_one({"_id": key}, doc, upsert=True)
        return doc

    async def list(self, tenant_id: str | None = None) -> list[Document]:
        query = {"tenant_id": tenant_id} if tenant_id else {}
        return [doc async for doc in self.collection.find(query).sort("_id", 1)]

    async def delete(self, tenant_id: str, name: str) -> bool:
        result = await self.collection.delete_one({"_id": mailbox_id(tenant_id, name)})
        return bool(result.deleted_count)

    def config(self, doc: Document) -> MailboxConfig:
        return MailboxConfig(
            id=doc["_id"],
            tenant_id=doc["tenant_id"],
            name=doc["name"],
            host=doc["host"],
            port=int(doc["port"]),
            tls=bool(doc["tls"]),
            username=doc["username"],
            password=self.box.open(doc["password"]),
            folder=doc["folder"],
            poll_interval_s=float(doc["poll_interval_s"]),
            revision=int(doc["revision"]),
        )

    async def hold(self, config: MailboxConfig, owner: str) -> bool:
        """Take or renew the lease; False if another reader holds it or the settings changed."""
        now = epoch_ms(self.clock.now())
        result = await self.collection.update_one(
            {
                "_id": config.id,
                "revision": config.revision,
                "$or": [{"lease_owner": owner}, {"lease_until_ms": {"$lt": now}}],
            },
            {"$set": {"lease_owner": owner, "lease_until_ms": now + config.lease_ms}},
        )
        return bool(result.matched_count)

    async def release(self, config: MailboxConfig, owner: str) -> None:
        await self.collection.update_one(
            {"_id": config.id, "lease_owner": owner}, {"$set": {"lease_until_ms": 0}}
        )

    async def position(self, config: MailboxConfig) -> tuple[int | None, int]:
        doc = await self.collection.find_one({"_id": config.id}) or {}
        return doc.get("uidvalidity"), int(doc.get("last_uid") or 0)

    async def record(self, config: MailboxConfig, **fields: Any) -> None:
        fields.setdefault("last_checked_at", self.clock.now())
        await self.collection.update_one(
            {"_id": config.id, "revision": config.revision}, {"$set": fields}
        )


def with_message_id(raw: bytes) -> bytes:
    """A mail without a Message-ID gets one made of its bytes: the same mail, the same id."""
    header = _HEADER_END.split(raw, maxsplit=1)[0]
    if re.search(rb"(?im)^message-id:", header):
        return raw
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return f"Message-ID: <{digest}@mailbox.tripcare>\r\n".encode() + raw


@asynccontextmanager
async def imap_session(config: MailboxConfig) -> AsyncIterator[aioimaplib.IMAP4]:
    """Connected, logged in and with the folder selected; logged out after."""
    kind = aioimaplib.IMAP4_SSL if config.tls else aioimaplib.IMAP4
    client = kind(host=config.host, port=config.port, timeout=30)
    await client.wait_hello_from_server()
    try:
        login = await client.login(config.username, config.password)
        if login.result != "OK":
            raise ConnectionError(f"login refused: {login.lines[-1]!r}")
        yield client
    finally:
        with suppress(Exception):
            await asyncio.wait_for(client.logout(), 5)


async def fetch(client: aioimaplib.IMAP4, uid: int) -> bytes | None:
    """The whole mail, without setting \\Seen (people may read the mailbox too)."""
    response = await client.uid("fetch", str(uid), "(BODY.PEEK[])")
    if response.result != "OK":
        raise ConnectionError(f"fetch {uid}: {response.lines[-1]!r}")
    return next((bytes(line) for line in response.lines if isinstance(line, bytearray)), None)


class MailboxReader:
    """Background worker of intake: holds the leases of the mailboxes it reads."""

    def __init__(self, mailboxes: Mailboxes, intake: Intake, scan_interval_s: float = 5.0) -> None:
        self.mailboxes = mailboxes
        self.intake = intake
        self.scan_interval_s = scan_interval_s
        self.owner = uuid.uuid4().hex
        self._loop: asyncio.Task[None] | None = None
        self._reading: dict[str, asyncio.Task[None]] = {}

    def start(self) -> None:
        self._loop = asyncio.create_task(self._scan_forever(), name="mailbox-scan")

    async def stop(self, timeout_s: float) -> None:
        tasks = [t for t in (self._loop, *self._reading.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _scan_forever(self) -> None:
        while True:
            try:
                await self.scan()
            except Exception as exc:
                log.warning("mailbox scan failed: %r", exc)
            await asyncio.sleep(self.scan_interval_s)

    async def scan(self) -> None:
        """Start reading every mailbox whose lease is free (or ours) and not read here yet."""
        for doc in await self.mailboxes.list():
            running = self._reading.get(doc["_id"])
            if running is not None and not running.done():
                continue
            config = self.mailboxes.config(doc)
            if await self.mailboxes.hold(config, self.owner):
                self._reading[config.id] = asyncio.create_task(
                    self._read(config), name=f"mailbox-{config.name}"
                )

    async def _read(self, config: MailboxConfig) -> None:
        """Read until the lease is lost or the settings change; reconnect after errors."""
        try:
            while await self.mailboxes.hold(config, self.owner):
                try:
                    async with imap_session(config) as client:
                        while await self.mailboxes.hold(config, self.owner):
                            await self.read_new(client, config)
                            await self._wait(client, config)
                except (OSError, ConnectionError, TimeoutError, aioimaplib.Abort) as exc:
                    log.warning("mailbox %s: %r", config.id, exc)
                    await self.mailboxes.record(config, last_error=f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(min(config.poll_interval_s, 30))
        finally:
            with suppress(Exception):
                await self.mailboxes.release(config, self.owner)

    async def read_new(self, client: aioimaplib.IMAP4, config: MailboxConfig) -> int:
        """Every mail after the last one taken, in UID order; returns how many were taken."""
        selected = await client.select(config.folder)
        if selected.result != "OK":
            raise ConnectionError(f"select {config.folder}: {selected.lines[-1]!r}")
        found = _UIDVALIDITY.search(b" ".join(bytes(line) for line in selected.lines))
        validity = int(found.group(1)) if found else None
        stored_validity, last_uid = await self.mailboxes.position(config)
        if validity != stored_validity:
            last_uid = 0  # the folder was recreated: read it all again (contacts are idempotent)
            await self.mailboxes.record(config, uidvalidity=validity, last_uid=0)
        searched = await client.uid_search(f"UID {last_uid + 1}:*")
        uids = sorted(
            uid for line in searched.lines[:-1] for uid in map(int, line.split()) if uid > last_uid
        )
        for uid in uids:
            raw = await fetch(client, uid)
            outcome = await self.take(config, raw) if raw else "empty"
            doc = await self.mailboxes.collection.find_one({"_id": config.id}) or {}
            if outcome == "taken":
                counts: dict[str, Any] = {"received": int(doc.get("received") or 0) + 1}
            else:
                counts = {
                    "rejected": int(doc.get("rejected") or 0) + 1,
                    "last_skipped": f"UID {uid}: {outcome}",
                }
            await self.mailboxes.record(config, last_uid=uid, **counts)
        await self.mailboxes.record(config, last_error=None)
        return len(uids)

    async def take(self, config: MailboxConfig, raw: bytes) -> str:
        """One mail into a contact: "taken", or why it was skipped."""
        raw = with_message_id(raw)
        try:
            contact = normalise(Channel.EMAIL, raw, self.intake.clock.now())
        except PayloadError as exc:
            return str(exc)
        await self.intake.receive_contact(config.tenant_id, contact, files=files_of_email(raw))
        return "taken"

    async def _wait(self, client: aioimaplib.IMAP4, config: MailboxConfig) -> None:
        """Until the server says something arrived (IDLE), or one poll interval."""
        if not client.has_capability("IDLE"):
            await asyncio.sleep(config.poll_interval_s)
            return
        idle = await client.idle_start(timeout=config.poll_interval_s)
        try:
            await client.wait_server_push(timeout=config.poll_interval_s)
        except TimeoutError:
            pass
        finally:
            client.idle_done()
            await asyncio.wait_for(idle, 10)
