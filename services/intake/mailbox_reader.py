"""The mailbox reader: intake's background worker that turns each new mail into a contact.

Any number of intake replicas run one; only a mailbox's lease holder reads it
(``mailbox.Mailboxes``), with IDLE where the server offers it, else polling.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import socket
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import aioimaplib

from contracts.events import Channel
from runtime.startup import failure
from services.intake.attachments import read_payload
from services.intake.channels import PayloadError
from services.intake.channels.imap_names import imap_mailbox
from services.intake.domain.hosts import refused_address
from services.intake.mailbox import MailboxConfig, Mailboxes
from services.intake.service import Intake, NotTaken

log = logging.getLogger(__name__)
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def with_message_id(raw: bytes) -> bytes:
    """A mail without a Message-ID gets one made of its bytes: the same mail, the same id."""
    header = _HEADER_END.split(raw, maxsplit=1)[0]
    if re.search(rb"(?im)^message-id:", header):
        return raw
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return f"Message-ID: <{digest}@mailbox.tripcare>\r\n".encode() + raw


async def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to: ``host`` resolved once and refused if any of its addresses
    is internal (``domain.hosts``; a name is checked by what it resolves to now, as the
    admin's ``PUT`` could only check an address). The connection goes to the address that was
    checked, not to the name resolved again: a name answering anew (DNS rebinding, a zero
    TTL) would lead past the check to the metadata service or the store."""
    if allow_private:
        return host
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, address in found:
        reason = refused_address(str(address[0]), allow_private=False)
        if reason is not None:
            raise ConnectionError(f"{host} is not allowed: it resolves to {reason}")
    if not found:
        raise ConnectionError(f"{host} resolves to no address")
    return str(found[0][4][0])


class PinnedImap(aioimaplib.IMAP4_SSL):  # type: ignore[misc]  # aioimaplib is untyped
    """IMAP over TLS to a checked address, the certificate verified against the host's name
    (``server_hostname``), not against the address."""

    def __init__(self, address: str, name: str, port: int, timeout: float) -> None:
        self.server_name = name  # create_client, called by __init__, reads it
        super().__init__(host=address, port=port, timeout=timeout)

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Any = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        running = loop or asyncio.get_running_loop()
        context = ssl_context or ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        self.protocol = aioimaplib.IMAP4ClientProtocol(running, conn_lost_cb)
        self._client_task = running.create_task(
            running.create_connection(
                lambda: self.protocol, host, port, ssl=context, server_hostname=self.server_name
            )
        )


def imap_client(config: MailboxConfig, address: str) -> aioimaplib.IMAP4:
    if config.tls:
        return PinnedImap(address, config.host, config.port, timeout=30)
    return aioimaplib.IMAP4(host=address, port=config.port, timeout=30)


@asynccontextmanager
async def imap_session(
    config: MailboxConfig, *, allow_private_hosts: bool
) -> AsyncIterator[aioimaplib.IMAP4]:
    """Connected (to the address checked), logged in and with the folder selected; logged
    out after."""
    address = await checked_address(config.host, config.port, allow_private=allow_private_hosts)
    client = imap_client(config, address)
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
                log.warning("mailbox scan failed: %s", failure(exc))
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
                    allowed = self.mailboxes.allow_private_hosts
                    async with imap_session(config, allow_private_hosts=allowed) as client:
                        while await self.mailboxes.hold(config, self.owner):
                            await self.read_new(client, config)
                            await self._wait(client, config)
                except (OSError, ConnectionError, TimeoutError, aioimaplib.Abort) as exc:
                    log.warning("mailbox %s: %s", config.id, failure(exc))
                    await self.mailboxes.record(config, last_error=f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(min(config.poll_interval_s, 30))
        finally:
            with suppress(Exception):
                await self.mailboxes.release(config, self.owner)

    async def read_new(self, client: aioimaplib.IMAP4, config: MailboxConfig) -> int:
        """Every mail after the last one taken, in UID order; returns how many were taken."""
        selected = await client.select(imap_mailbox(config.folder))
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
            contact, files = read_payload(
                Channel.EMAIL, raw, self.intake.clock.now(), self.intake.file_policy
            )
        except PayloadError as exc:
            return str(exc)
        try:
            await self.intake.receive_contact(config.tenant_id, contact, files=files)
        except NotTaken as exc:
            return str(exc)
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
