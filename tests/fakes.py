"""In-memory stand-ins for unit tests of handlers: a collection and an outbox sink.

Only the collection operations the repository uses are implemented, with the
same semantics (unique ``_id``, conditional replace).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from runtime.aggregate import OutboxMessage


@dataclass
class _Result:
    matched_count: int


class FakeCollection:
    def __init__(self, name: str) -> None:
        self.name = name
        self.docs: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _matches(doc: dict[str, Any], query: dict[str, Any]) -> bool:
        return all(doc.get(key) == value for key, value in query.items())

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        found = next((d for d in self.docs.values() if self._matches(d, query)), None)
        return copy.deepcopy(found)

    async def insert_one(self, doc: dict[str, Any]) -> None:
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("E11000 duplicate key", 11000)
        self.docs[doc["_id"]] = copy.deepcopy(doc)

    async def replace_one(self, query: dict[str, Any], doc: dict[str, Any]) -> _Result:
        current = await self.find_one(query)
        if current is None:
            return _Result(0)
        self.docs[current["_id"]] = copy.deepcopy(doc)
        return _Result(1)


class FakeDatabase(dict[str, FakeCollection]):
    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection(name)
        return self[name]


class RecordingOutbox:
    """Collects what the repository hands to the relay."""

    def __init__(self) -> None:
        self.messages: list[OutboxMessage] = []

    def committed(
        self, collection: str, doc_id: str, version: int, messages: Sequence[OutboxMessage]
    ) -> None:
        self.messages.extend(messages)

    @property
    def routing_keys(self) -> list[str]:
        return [m.routing_key for m in self.messages]
