"""In-memory stand-ins for unit tests of handlers: a collection and an outbox sink.

Only what the code uses is implemented, with MongoDB's semantics: unique
``_id``, conditional replace, and ``find`` with equality, ``$in``, ``$ne``,
``$gt``/``$gte``/``$lt``/``$lte``, ``$regex``, ``$or``/``$and``, dotted paths, sort and limit;
``$set``, ``$addToSet`` and ``$push`` updates (one, many, upsert) and deletes; ``bulk_write`` of
inserts, replaces and updates, unordered (a ``BulkWriteError`` lists the failed ones).
Each call yields to the event loop (a random number of times when a ``Random``
is given) so concurrent tasks interleave as they would against a server.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import operator
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import DeleteMany, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from runtime.aggregate import OutboxMessage

Doc = dict[str, Any]


@dataclass
class _Result:
    matched_count: int
    deleted_count: int = 0
    upserted_id: Any = None
    upserted_ids: dict[int, Any] = dataclasses.field(default_factory=dict)


def _get(doc: Doc, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_ORDER = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def _test(value: Any, condition: Any) -> bool:
    if not isinstance(condition, dict) or not any(k.startswith("$") for k in condition):
        return condition in _values(value) or value == condition
    for op, arg in condition.items():
        if op == "$in" and not any(v in arg for v in _values(value)):
            return False
        if op == "$ne" and (arg in _values(value) or value == arg):
            return False
        if op in _ORDER and not (value is not None and _ORDER[op](value, arg)):
            return False
        if op == "$regex":
            flags = re.I if "i" in condition.get("$options", "") else 0
            if not (isinstance(value, str) and re.search(arg, value, flags)):
                return False
    return True


def matches(doc: Doc, query: Doc) -> bool:
    for key, condition in query.items():
        if key == "$or":
            if not any(matches(doc, sub) for sub in condition):
                return False
        elif key == "$and":
            if not all(matches(doc, sub) for sub in condition):
                return False
        elif not _test(_get(doc, key), condition):
            return False
    return True


class FakeCursor:
    def __init__(self, docs: list[Doc], collection: FakeCollection) -> None:
        self._docs = docs
        self._collection = collection

    def sort(self, key: str | list[tuple[str, int]], direction: int = 1) -> FakeCursor:
        keys = [(key, direction)] if isinstance(key, str) else key
        for field, order in reversed(keys):
            self._docs.sort(key=lambda d, f=field: _get(d, f), reverse=order < 0)  # type: ignore[misc]
        return self

    def limit(self, count: int) -> FakeCursor:
        self._docs = self._docs[:count]
        return self

    def __aiter__(self) -> FakeCursor:
        return self

    async def to_list(self) -> list[Doc]:
        return [doc async for doc in self]

    async def close(self) -> None:
        self._docs = []

    async def __anext__(self) -> Doc:
        await self._collection._yield()
        if not self._docs:
            raise StopAsyncIteration
        return self._docs.pop(0)


class FakeCollection:
    def __init__(
        self, name: str, chaos: random.Random | None = None, database: FakeDatabase | None = None
    ) -> None:
        self.name = name
        self.docs: dict[str, Doc] = {}
        self.chaos = chaos
        self.database = database
        self.bulk_writes: list[int] = []
        """The size of every ``bulk_write``."""
        self.finds: list[Doc] = []
        """The filter of every ``find``."""
        self.counts: list[Doc] = []
        """The filter of every ``count_documents``."""

    async def _yield(self) -> None:
        for _ in range(self.chaos.randint(0, 3) if self.chaos else 1):
            await asyncio.sleep(0)

    def find(
        self, query: Doc, projection: Doc | None = None, limit: int = 0, batch_size: int = 0
    ) -> FakeCursor:
        """Whole documents: a projection only trims what the caller reads anyway."""
        self.finds.append(query)
        found = [copy.deepcopy(d) for d in self.docs.values() if matches(d, query)]
        return FakeCursor(found[:limit] if limit else found, self)

    async def count_documents(self, query: Doc) -> int:
        await self._yield()
        self.counts.append(query)
        return sum(matches(d, query) for d in self.docs.values())

    async def find_one(self, query: Doc) -> Doc | None:
        await self._yield()
        found = next((d for d in self.docs.values() if matches(d, query)), None)
        return copy.deepcopy(found)

    async def insert_one(self, doc: Doc) -> None:
        await self._yield()
        if doc["_id"] in self.docs:
            raise DuplicateKeyError("E11000 duplicate key", 11000)
        self.docs[doc["_id"]] = copy.deepcopy(doc)

    async def replace_one(self, query: Doc, doc: Doc, upsert: bool = False) -> _Result:
        await self._yield()
        current = next((d for d in self.docs.values() if matches(d, query)), None)
        if current is None:
            if not upsert:
                return _Result(0)
            self.docs[doc["_id"]] = copy.deepcopy(doc)
            return _Result(0, upserted_id=doc["_id"])
        self.docs[current["_id"]] = {**copy.deepcopy(doc), "_id": current["_id"]}
        return _Result(1)

    async def update_one(self, query: Doc, update: Doc, upsert: bool = False) -> _Result:
        """``$set``, ``$unset``, ``$setOnInsert``, ``$addToSet`` and ``$push`` (``$each``, a
        negative ``$slice``); an upsert takes its ``_id`` from an equality filter."""
        await self._yield()
        current = next((d for d in self.docs.values() if matches(d, query)), None)
        matched = int(current is not None)
        if current is None:
            if not upsert:
                return _Result(0)
            if query["_id"] in self.docs:  # as MongoDB: the upsert's insert meets the _id
                raise DuplicateKeyError("E11000 duplicate key", 11000)
            current = self.docs[query["_id"]] = {"_id": query["_id"]}
            current.update(copy.deepcopy(update.get("$setOnInsert", {})))
        current.update(copy.deepcopy(update.get("$set", {})))
        for field in update.get("$unset", {}):
            current.pop(field, None)
        for field, value in update.get("$addToSet", {}).items():
            members = current.setdefault(field, [])
            if value not in members:
                members.append(value)
        for field, value in update.get("$push", {}).items():
            kept = [*current.get(field, []), *copy.deepcopy(value["$each"])]
            current[field] = kept[value["$slice"] :] if "$slice" in value else kept
        return _Result(matched, upserted_id=None if matched else query["_id"])

    async def bulk_write(
        self,
        requests: list[InsertOne[Doc] | ReplaceOne[Doc] | UpdateOne | DeleteMany],
        ordered: bool = True,
    ) -> _Result:
        """One request after another; unordered, a failed one does not stop the rest."""
        self.bulk_writes.append(len(requests))
        matched, errors, upserted = 0, [], {}
        for index, request in enumerate(requests):
            try:
                result = await self._one_request(request)
            except DuplicateKeyError as exc:
                errors.append({"index": index, "code": exc.code, "errmsg": str(exc)})
                if ordered:
                    break
                continue
            matched += result.matched_count
            if result.upserted_id is not None:
                upserted[index] = result.upserted_id
        if errors:
            details = {
                "writeErrors": errors,
                "writeConcernErrors": [],
                "nMatched": matched,
                "upserted": [{"index": i, "_id": key} for i, key in upserted.items()],
            }
            raise BulkWriteError(details)
        return _Result(matched, upserted_ids=upserted)

    async def _one_request(
        self, request: InsertOne[Doc] | ReplaceOne[Doc] | UpdateOne | DeleteMany
    ) -> _Result:
        if isinstance(request, InsertOne):
            await self.insert_one(dict(request._doc))
            return _Result(0)
        if isinstance(request, DeleteMany):
            await self.delete_many(dict(request._filter))
            return _Result(0)
        query, doc = dict(request._filter), dict(request._doc)  # type: ignore[arg-type]
        if isinstance(request, ReplaceOne):
            return await self.replace_one(query, doc)
        return await self.update_one(query, doc, bool(request._upsert))

    async def update_many(self, query: Doc, update: Doc) -> _Result:
        await self._yield()
        found = [d for d in self.docs.values() if matches(d, query)]
        for doc in found:
            doc.update(copy.deepcopy(update["$set"]))
        return _Result(len(found))

    async def delete_one(self, query: Doc) -> _Result:
        await self._yield()
        found = next((d for d in self.docs.values() if matches(d, query)), None)
        if found is not None:
            del self.docs[found["_id"]]
        return _Result(0, int(found is not None))

    async def delete_many(self, query: Doc) -> _Result:
        await self._yield()
        found = [d["_id"] for d in self.docs.values() if matches(d, query)]
        for key in found:
            del self.docs[key]
        return _Result(0, len(found))


class FakeDatabase(dict[str, FakeCollection]):
    def __init__(self, chaos: random.Random | None = None) -> None:
        super().__init__()
        self.chaos = chaos

    def __missing__(self, name: str) -> FakeCollection:
        self[name] = FakeCollection(name, self.chaos, self)
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
