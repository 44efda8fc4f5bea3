"""Intake's database: tickets (with the queries threading and search need) and gateway keys."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts import events
from contracts.events import Channel
from contracts.text import Instant
from runtime import paging
from runtime.clock import Clock
from runtime.gateway_auth import GatewayScope
from runtime.shared_commands import SharedFind, SharedWrites, shared_by_ids
from runtime.store import Document, Repository
from runtime.store_batches import Observers
from services.intake.domain import Ticket
from services.intake.domain.search import search_pattern
from services.intake.ticket_keys import (
    Candidates,
    contact_key,
    conversation_key,
    key_entries,
    key_write,
    opening_key_entries,
    opening_traveller_entry,
    reference_key,
    ticket_ids,
    traveller_key,
)

TICKETS = "tickets"
TICKET_KEYS = "ticket_keys"
API_KEYS = "api_keys"
INDEXED_MARK = "meta|indexed"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    tickets = db[TICKETS]
    await tickets.create_index([("tenant_id", 1), ("opened_us", -1)])
    await tickets.create_index([("tenant_id", 1), ("status", 1), ("opened_us", -1)])


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    queue: str | None = None
    assignee: str | None = None
    category: str | None = None
    text: str | None = None


def encode_cursor(ticket: Ticket) -> str:
    return paging.encode_cursor(ticket.opened_us, ticket.id)


INT64_MAX = 2**63 - 1


def _opened_us(key: object) -> int:
    """A forged number the store cannot hold, or a float, is no position."""
    if type(key) is not int or not 0 <= key <= INT64_MAX:
        raise ValueError("not a position")
    return key


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The position ``encode_cursor`` wrote; anything else is an ``InvalidCursor``."""
    return paging.decode_cursor(cursor, _opened_us)


class TicketStore:
    """The tickets repository plus the lookups intake's use cases need.

    Threading finds tickets through ``ticket_keys``: documents keyed by contact,
    conversation or (traveller, booking) that list the tickets holding them. On
    nx-27017 a query on an array field scans every ticket, so every per-contact
    lookup here is an ``_id`` read instead. Keys are written before the ticket,
    so they never miss a stored ticket; a key whose ticket write failed is a
    harmless hint that the candidates' own state overrules. Contacts arriving at
    once share their keys' reads and writes (``runtime/shared_commands.py``, #20).
    """

    def __init__(self, repository: Repository[Ticket], observers: Observers | None = None) -> None:
        self.repo = repository
        self.keys: AsyncCollection[Document] = repository.collection.database[TICKET_KEYS]
        self._key_reads = shared_by_ids(self.keys, name="reads", observers=observers)
        self._key_writes = SharedWrites(self.keys, name="writes", observers=observers)

    async def candidates(
        self,
        tenant_id: str,
        contact_id: str,
        thread_key: str,
        traveller_id: str,
        references: Sequence[str],
        named: Sequence[str] = (),
        *,
        traveller: bool = False,
    ) -> Candidates:
        """One read of the keys, one of the tickets they (and ``named``) lead to; with
        ``traveller``, the traveller's newest tickets too, in the same two reads.
        ``references`` in their canonical form (``canonical_references``), as keys hold them."""
        wanted = (
            contact_key(contact_id),
            conversation_key(tenant_id, thread_key),
            *(reference_key(tenant_id, traveller_id, r) for r in references),
            *((traveller_key(tenant_id, traveller_id),) if traveller else ()),
        )
        ids: set[str] = set(named)
        for doc in await self._key_reads.find(wanted):
            ids.update(ticket_ids(doc.get("tickets", [])))
        found: list[Ticket] = []
        if ids:
            cursor = self.repo.collection.find(
                {"_id": {"$in": sorted(ids)}, "tenant_id": tenant_id}
            )
            found = [Ticket.model_validate(doc) async for doc in cursor]
        return Candidates(contact_id, thread_key, traveller_id, frozenset(references), tuple(found))

    async def keyed(self, keys: tuple[str, ...]) -> dict[str, list[str]]:
        """The members (``key_member``) each of ``keys`` holds: one shared ``_id`` read."""
        return {doc["_id"]: doc.get("tickets", []) for doc in await self._key_reads.find(keys)}

    async def by_id(self, ticket_id: str) -> Ticket | None:
        """The ticket of a short tracking link, which names no tenant: ticket ids are the
        collection's ``_id``, unique across tenants (``ticket_id_for`` hashes the tenant in)."""
        doc = await self.repo.collection.find_one({"_id": ticket_id})
        return None if doc is None else Ticket.model_validate(doc)

    async def knows(self, contact_id: str) -> bool:
        """Whether a ticket holds this contact already (a redelivery): one ``_id`` read."""
        return await self.keys.find_one({"_id": contact_key(contact_id)}) is not None

    async def claim(
        self, tenant_id: str, contact: events.ContactReceived, contact_id: str, now: datetime
    ) -> bool:
        """Create the lookup keys of the first ticket this contact would open
        (``opening_key_entries``), touching none that exists, and add it to its traveller's
        key (``opening_traveller_entry``), all in one bulk write.

        True if every key but the traveller's was new: no stored ticket holds one (keys are
        written before their ticket), so the contact opens this ticket without a read (#20).
        A key that existed is left as it was; one created for a ticket that then does not
        open is a harmless hint, like any key whose ticket write failed.
        """
        entries = sorted(opening_key_entries(tenant_id, contact, contact_id))
        created = await self._key_writes.write(
            [
                *(
                    UpdateOne({"_id": key}, {"$setOnInsert": {"tickets": [member]}}, upsert=True)
                    for key, member in entries
                ),
                key_write(*opening_traveller_entry(tenant_id, contact, now)),
            ]
        )
        return created.issuperset(range(len(entries)))

    async def index(self, ticket: Ticket, known: set[tuple[str, str]] | None = None) -> None:
        """Write the ticket's lookup keys (those not in ``known``) in one round trip; a repeat
        adds nothing but a duplicate member to the traveller's key, read once (``ticket_ids``)."""
        entries = key_entries(ticket) - (known or set())
        await self._key_writes.write([key_write(key, member) for key, member in sorted(entries)])

    async def index_history(self) -> int:
        """Key every stored ticket once: tickets written before ``ticket_keys`` existed."""
        if await self.keys.find_one({"_id": INDEXED_MARK}) is not None:
            return 0
        count = 0
        async for doc in self.repo.collection.find({}):
            await self.index(Ticket.model_validate(doc))
            count += 1
        await self.keys.update_one({"_id": INDEXED_MARK}, {"$set": {"tickets": []}}, upsert=True)
        return count

    async def search(
        self, tenant_id: str, where: TicketFilter, cursor: str | None, limit: int
    ) -> list[Ticket]:
        """Newest first, ``limit`` at a time; ``cursor`` continues after a previous page."""
        query: dict[str, Any] = {"tenant_id": tenant_id}
        for field in ("status", "queue", "assignee", "category"):
            if value := getattr(where, field):
                query[field] = value
        if where.text:
            pattern = {"$regex": search_pattern(where.text), "$options": "i"}
            ticket_id = where.text.upper()  # ids are upper case (``TC-`` + base32)
            query["$or"] = [{"text": pattern}, {"subject": pattern}, {"_id": ticket_id}]
        if cursor:
            opened_us, ticket_id = decode_cursor(cursor)
            query = paging.after(query, "opened_us", opened_us, ticket_id, descending=True)
        found = self.repo.collection.find(query).sort([("opened_us", -1), ("_id", -1)]).limit(limit)
        return [Ticket.model_validate(doc) async for doc in found]


KEY_ID_LENGTH = 16
"""A key's public id: the first hex digits of its hash (64 bits; keys are per tenant)."""


class GatewayKey(BaseModel):
    """A channel gateway's credential: only its SHA-256 is stored."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: str = Field(alias="_id")
    tenant_id: str
    name: str
    channels: list[Channel] = Field(default_factory=list)
    scopes: list[GatewayScope] = Field(default_factory=lambda: [GatewayScope.CONTACTS_WRITE])
    rate_per_s: float
    created_at: datetime
    created_by: str
    revoked_at: Instant | None = None
    """Naive on nx-27017, which keeps a ``$set`` date as text: read as UTC."""
    revoked_by: str | None = None

    @property
    def key_id(self) -> str:
        return self.id[:KEY_ID_LENGTH]


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough (no brute force to slow down)."""
    return hashlib.sha256(key.encode()).hexdigest()


class GatewayKeys:
    """A replica trusts a key it read for ``cache_s``: a key revoked through this replica
    is refused at once, through another within ``cache_s`` (#20: the read was one of a
    new contact's four store round trips). With ``cache_s`` 0 every request reads the
    key. Only live keys are remembered, so unknown keys cost a read each and no memory.
    Requests arriving together share one read by ``_id`` (``SharedFind`` reads after they
    arrived, so a read sees every revocation written before it)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        clock: Clock,
        observers: Observers | None = None,
        *,
        cache_s: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collection = db[API_KEYS]
        self.clock = clock
        self.cache_s = cache_s
        self._monotonic = monotonic
        self._live: dict[str, tuple[float, GatewayKey]] = {}
        """Key hash → (trusted until, the live record)."""
        self._revoked: set[str] = set()
        """Keys revoked through this replica: refused even by a read that began before."""
        self._reads: SharedFind[str] = SharedFind(
            self.collection,
            query=lambda ids: {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": sorted(ids)}},
            matches=lambda key_hash, doc: doc["_id"] == key_hash,
            name="reads",
            observers=observers,
        )

    async def create(
        self,
        *,
        tenant_id: str,
        name: str,
        channels: list[Channel],
        rate_per_s: float,
        by: str,
        scopes: Sequence[GatewayScope] = (GatewayScope.CONTACTS_WRITE,),
    ) -> tuple[str, GatewayKey]:
        """A new key; the plain text is returned once and never stored."""
        key = "tck_" + secrets.token_urlsafe(32)
        record = GatewayKey(
            id=hash_key(key),
            tenant_id=tenant_id,
            name=name,
            channels=channels,
            scopes=list(scopes),
            rate_per_s=rate_per_s,
            created_at=self.clock.now(),
            created_by=by,
        )
        await self.collection.insert_one(record.model_dump(by_alias=True))
        return key, record

    async def resolve(self, key: str) -> GatewayKey | None:
        """The live (not revoked) key record."""
        key_hash = hash_key(key)
        remembered = self._live.get(key_hash)
        if remembered is not None and remembered[0] > self._monotonic():
            return remembered[1]
        found = await self._reads.find(key_hash)
        record = GatewayKey.model_validate(found[0]) if found else None
        if record is None or record.revoked_at is not None or key_hash in self._revoked:
            self._live.pop(key_hash, None)
            return None
        if self.cache_s > 0:
            self._live[key_hash] = (self._monotonic() + self.cache_s, record)
        return record

    async def of_tenant(self, tenant_id: str) -> list[GatewayKey]:
        """Every key of the tenant, revoked ones included, oldest first (a handful per tenant)."""
        found = self.collection.find({"tenant_id": tenant_id})
        keys = [GatewayKey.model_validate(doc) async for doc in found]
        return sorted(keys, key=lambda record: (record.created_at, record.id))

    async def revoke(self, tenant_id: str, key_id: str, *, by: str) -> GatewayKey | None:
        """Revoke the tenant's key ``key_id`` (once; revoking again changes nothing)."""
        record = next((k for k in await self.of_tenant(tenant_id) if k.key_id == key_id), None)
        if record is None or record.revoked_at is not None:
            return record
        now = self.clock.now()
        await self.collection.update_one(
            {"_id": record.id, "tenant_id": tenant_id, "revoked_at": None},
            {"$set": {"revoked_at": now, "revoked_by": by}},
        )
        self._revoked.add(record.id)
        self._live.pop(record.id, None)
        return record.model_copy(update={"revoked_at": now, "revoked_by": by})
