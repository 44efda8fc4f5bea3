"""Tenants' support mailboxes read over IMAP: each new mail becomes a contact, like any channel.

One document per mailbox (``mailboxes``) holds its settings (the password
sealed), where reading got to (UIDVALIDITY + last UID) and a lease: any number
of intake replicas run a ``MailboxReader`` (``mailbox_reader``), but only the
lease holder reads a mailbox. It waits with IDLE where the server offers it, else polls. A mail is
marked read past (``last_uid``) only after its contact is committed, and
contacts are idempotent on the Message-ID, so a crash re-reads at most a few
mails and makes nothing twice. A mail intake cannot take (no sender, no text)
is skipped and counted; one it cannot take *now* (store down) stops the round
and is read again next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from runtime.clock import Clock, epoch_ms
from runtime.secret_box import SecretBox
from runtime.store import Document
from services.intake.domain.hosts import literal_address, refused_address

MAILBOXES = "mailboxes"


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

    def __init__(
        self,
        db: AsyncDatabase[Document],
        clock: Clock,
        box: SecretBox,
        *,
        allow_private_hosts: bool = False,
    ) -> None:
        self.collection: AsyncCollection[Document] = db[MAILBOXES]
        self.clock = clock
        self.box = box
        self.allow_private_hosts = allow_private_hosts
        """Whether a mailbox may be on an internal address (``domain.hosts``)."""

    def refused_host(self, host: str) -> str | None:
        """Why a host written as an IP address may not be read (a name is checked when
        connecting, by what it resolves to)."""
        address = literal_address(host)
        if address is None:
            return None
        return refused_address(address, allow_private=self.allow_private_hosts)

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
