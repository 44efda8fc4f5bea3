"""Signatures seen within their replay window: a signed request is taken once per body.

A timestamp stops a request from being replayed later, not within its window. So each
receiver of signed requests remembers what it took, keyed by sender and signature, for
longer than the window (a TTL index forgets it after): the same key with the same body is
the sender's retry, with another body a replay. A signature that does not cover the body
(WeChat plain mode, DingTalk robots) is so bound to the first body it came with; one that
does (supplier webhooks) can refuse every reuse (``Use.RETRY`` is a replay there too).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import Enum

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from runtime.store import Document

KEEP = timedelta(minutes=15)
"""Longer than any replay window here (±5 minutes), so a reuse is caught while it verifies."""


class Replayed(Exception):
    """This signature was used before with another body."""


class Use(Enum):
    FIRST = "first"
    RETRY = "retry"
    """Seen before with the same body: the sender retried."""


class NonceStore:
    def __init__(self, collection: AsyncCollection[Document], keep: timedelta = KEEP) -> None:
        self.collection = collection
        self.keep = keep

    async def ensure_index(self) -> None:
        await self.collection.create_index(
            "created_at", expireAfterSeconds=int(self.keep.total_seconds())
        )

    @staticmethod
    def key(*parts: str) -> str:
        """One key for the parts naming a use (sender, tenant, timestamp, nonce…)."""
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    async def use(self, key: str, now: datetime, body: bytes = b"") -> Use:
        """Remember ``key`` with the body it came with; raises ``Replayed`` if it came before
        with another body (or was forgotten between the two reads: refused, to be safe)."""
        digest = hashlib.sha256(body).hexdigest()
        try:
            await self.collection.insert_one({"_id": key, "body": digest, "created_at": now})
        except DuplicateKeyError:
            seen = await self.collection.find_one({"_id": key})
            if seen is not None and seen.get("body") == digest:
                return Use.RETRY
            raise Replayed(key) from None
        return Use.FIRST
