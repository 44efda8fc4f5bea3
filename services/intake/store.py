"""Intake's database: tickets (with the queries threading and search need) and gateway keys."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.database import AsyncDatabase

from contracts.events import Channel
from runtime.clock import Clock
from runtime.store import Document, Repository
from services.intake.domain import Ticket, TicketStatus

TICKETS = "tickets"
API_KEYS = "api_keys"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    tickets = db[TICKETS]
    await tickets.create_index([("tenant_id", 1), ("contact_ids", 1)])
    await tickets.create_index([("tenant_id", 1), ("conversation_keys", 1), ("generation", -1)])
    await tickets.create_index([("tenant_id", 1), ("traveller.id", 1), ("last_activity_at", -1)])
    await tickets.create_index([("tenant_id", 1), ("opened_us", -1)])
    await tickets.create_index([("tenant_id", 1), ("status", 1), ("opened_us", -1)])


@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    queue: str | None = None
    assignee: str | None = None
    category: str | None = None
    text: str | None = None


class InvalidCursor(ValueError):
    pass


def encode_cursor(ticket: Ticket) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([ticket.opened_us, ticket.id])).decode()


def decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        opened_us, ticket_id = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(opened_us), str(ticket_id)
    except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor("invalid cursor") from exc


class TicketStore:
    """The tickets repository plus the lookups intake's use cases need.

    Array membership is queried with ``$in`` (nx-27017 does not match a plain
    equality on an array field).
    """

    def __init__(self, repository: Repository[Ticket]) -> None:
        self.repo = repository

    async def by_contact(self, tenant_id: str, contact_id: str) -> Ticket | None:
        return await self._one({"tenant_id": tenant_id, "contact_ids": {"$in": [contact_id]}})

    async def open_thread(self, tenant_id: str, conversation_key: str) -> Ticket | None:
        """The newest ticket of a conversation that is not closed."""
        return await self._one(
            {
                "tenant_id": tenant_id,
                "conversation_keys": {"$in": [conversation_key]},
                "status": {"$ne": TicketStatus.CLOSED.value},
            },
            sort=[("generation", -1)],
        )

    async def latest_of_thread(self, tenant_id: str, thread_key: str) -> Ticket | None:
        """The conversation's newest ticket, closed or not (its generation numbers the next)."""
        return await self._one(
            {"tenant_id": tenant_id, "thread_key": thread_key}, sort=[("generation", -1)]
        )

    async def recent_by_reference(
        self, tenant_id: str, traveller_id: str, references: Sequence[str], since: datetime
    ) -> Ticket | None:
        """The traveller's latest active ticket about one of these bookings."""
        if not references:
            return None
        return await self._one(
            {
                "tenant_id": tenant_id,
                "traveller.id": traveller_id,
                "reference_values": {"$in": list(references)},
                "status": {"$ne": TicketStatus.CLOSED.value},
                "last_activity_at": {"$gte": since},
            },
            sort=[("last_activity_at", -1)],
        )

    async def search(
        self, tenant_id: str, where: TicketFilter, cursor: str | None, limit: int
    ) -> list[Ticket]:
        """Newest first, ``limit`` at a time; ``cursor`` continues after a previous page."""
        query: dict[str, Any] = {"tenant_id": tenant_id}
        for field in ("status", "queue", "assignee", "category"):
            if value := getattr(where, field):
                query[field] = value
        if where.text:
            pattern = {"$regex": re.escape(where.text), "$options": "i"}
            query["$or"] = [{"text": pattern}, {"subject": pattern}, {"_id": where.text}]
        if cursor:
            opened_us, ticket_id = decode_cursor(cursor)
            after = [
                {"opened_us": {"$lt": opened_us}},
                {"opened_us": opened_us, "_id": {"$lt": ticket_id}},
            ]
            query = {"$and": [query, {"$or": after}]}
        found = self.repo.collection.find(query).sort([("opened_us", -1), ("_id", -1)]).limit(limit)
        return [Ticket.model_validate(doc) async for doc in found]

    async def _one(
        self, query: dict[str, Any], sort: list[tuple[str, int]] | None = None
    ) -> Ticket | None:
        cursor = self.repo.collection.find(query)
        if sort:
            cursor = cursor.sort(sort)
        async for doc in cursor.limit(1):
            return Ticket.model_validate(doc)
        return None


class GatewayKey(BaseModel):
    """A channel gateway's credential: only its SHA-256 is stored."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: str = Field(alias="_id")
    tenant_id: str
    name: str
    channels: list[Channel] = Field(default_factory=list)
    rate_per_s: float
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None


def hash_key(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is enough (no brute force to slow down)."""
    return hashlib.sha256(key.encode()).hexdigest()


class GatewayKeys:
    CACHE_S = 30.0

    def __init__(self, db: AsyncDatabase[Document], clock: Clock) -> None:
        self.collection = db[API_KEYS]
        self.clock = clock
        self._cache: dict[str, tuple[float, GatewayKey | None]] = {}

    async def create(
        self, *, tenant_id: str, name: str, channels: list[Channel], rate_per_s: float, by: str
    ) -> tuple[str, GatewayKey]:
        """A new key; the plain text is returned once and never stored."""
        key = "tck_" + secrets.token_urlsafe(32)
        record = GatewayKey(
            id=hash_key(key),
            tenant_id=tenant_id,
            name=name,
            channels=channels,
            rate_per_s=rate_per_s,
            created_at=self.clock.now(),
            created_by=by,
        )
        await self.collection.insert_one(record.model_dump(by_alias=True))
        return key, record

    async def resolve(self, key: str) -> GatewayKey | None:
        """The live key record, cached briefly so a hot gateway costs no lookup per request."""
        digest = hash_key(key)
        cached = self._cache.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        doc = await self.collection.find_one({"_id": digest})
        record = GatewayKey.model_validate(doc) if doc else None
        if record and record.revoked_at is not None:
            record = None
        self._cache[digest] = (time.monotonic() + self.CACHE_S, record)
        return record
