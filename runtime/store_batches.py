"""One collection's loads and writes, grouped into shared commands (``runtime/group_commit.py``).

Each waiter gets exactly what its own ``find_one``, ``insert_one`` or
``replace_one({_id, version})`` would have given it:

- loads become one ``find({_id: {$in}, tenant_id: {$in}})``; a waiter gets a document
  only if it is of the waiter's tenant, so a cross-tenant id is still not found;
- inserts and replaces become one unordered ``bulk_write``, never two for one ``_id``;
  so do newest-wins records (``write_if``), whose conditional upserts each report alone.
  An insert's write error comes back by its index (code 11000: ``DuplicateKeyError``).
  Replaces report only how many matched: if all or none did, that is every waiter's
  answer; otherwise the batch's documents are read back, and a replace matched if its
  write token is among the document's latest (``_w``, see ``stamp``);
- an exception of the command itself (``ConnectionFailure``, …) reaches every waiter
  it leaves without an answer.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from runtime.aggregate import WRITE_TOKENS
from runtime.group_commit import DEFAULT_CAP, GroupCommit, Pending

Document = dict[str, Any]
TOKENS_KEPT = 8
"""Writes a document remembers: a replace that matched is recognised even if this many
writes of other processes land between it and the read-back."""
Observers = Callable[[str, str], Callable[[float], None]]
"""The batch-size observer of a collection and kind (``load``, ``write``)."""


@dataclass(frozen=True)
class Load:
    tenant_id: str
    doc_id: str


@dataclass(frozen=True)
class WriteIf:
    """Set ``fields`` on document ``key`` if it meets ``condition`` or does not exist yet."""

    key: str
    condition: Document
    fields: Document

    def upsert(self) -> UpdateOne:
        return UpdateOne({"_id": self.key, **self.condition}, {"$set": self.fields}, upsert=True)


async def conditional_upserts(
    collection: AsyncCollection[Document], writes: list[WriteIf]
) -> list[bool]:
    """Each write as one upsert whose filter is its condition, all in one unordered
    ``bulk_write``: False where the stored document does not meet it (the upsert's insert
    meets its ``_id``, error 11000). A first insert racing ours fails the same way once:
    those are sent again, and the documents they raced decide."""
    done = [False] * len(writes)
    todo = list(range(len(writes)))
    for _ in range(2):
        try:
            await collection.bulk_write([writes[i].upsert() for i in todo], ordered=False)
            failed: set[int] = set()
        except BulkWriteError as exc:
            if exc.details.get("writeConcernErrors"):
                raise
            errors = exc.details["writeErrors"]
            if any(error.get("code") != 11000 for error in errors):
                raise
            failed = {todo[error["index"]] for error in errors}
        for index in todo:
            done[index] = index not in failed
        todo = sorted(failed)
        if not todo:
            break
    return done


@dataclass(frozen=True)
class Write:
    doc: Document
    expected: int | None
    """The version a replace expects; ``None`` for an insert."""

    @property
    def doc_id(self) -> str:
        return str(self.doc["_id"])

    @property
    def token(self) -> str:
        return str(self.doc[WRITE_TOKENS][-1])


def stamp(doc: Document) -> None:
    """Add a new write token to the tokens the document was loaded with (``doc["_w"]``)."""
    tokens = [*doc.get(WRITE_TOKENS, ()), uuid.uuid4().hex[:16]]
    doc[WRITE_TOKENS] = tokens[-TOKENS_KEPT:]


class BatchedCollection:
    """Loads, inserts and versioned replaces of one collection's documents, in batches."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        cap: int = DEFAULT_CAP,
        observers: Observers | None = None,
        linger_s: float = 0.0,
    ) -> None:
        """``linger_s``: how long each batch waits for company (``GroupCommit``)."""
        self.collection = collection
        name = collection.name
        self._loads: GroupCommit[Load, Document | None] = GroupCommit(
            self._load_batch,
            cap=cap,
            observe=observers(name, "load") if observers else None,
            name=f"{name}-loads",
            linger_s=linger_s,
        )
        self._writes: GroupCommit[Write, bool] = GroupCommit(
            self._write_batch,
            key=lambda write: write.doc_id,
            cap=cap,
            observe=observers(name, "write") if observers else None,
            name=f"{name}-writes",
            linger_s=linger_s,
        )
        self._writes_if: GroupCommit[WriteIf, bool] = GroupCommit(
            self._write_if_batch,
            key=lambda write: write.key,
            cap=cap,
            observe=observers(name, "write_if") if observers else None,
            name=f"{name}-writes-if",
            linger_s=linger_s,
        )

    async def load(self, tenant_id: str, doc_id: str, *, patient: bool = False) -> Document | None:
        """As ``find_one({_id, tenant_id})``; ``patient``: may linger (``GroupCommit``)."""
        return await self._loads.submit(Load(tenant_id, doc_id), patient=patient)

    async def insert(self, doc: Document, *, patient: bool = False) -> None:
        """As ``insert_one``: ``DuplicateKeyError`` if the id is taken. Stamps ``doc``."""
        stamp(doc)
        await self._writes.submit(Write(doc, None), patient=patient)

    async def replace(self, doc: Document, expected: int, *, patient: bool = False) -> bool:
        """As ``replace_one({_id, version: expected}, doc)``: whether it matched. Stamps ``doc``."""
        stamp(doc)
        return await self._writes.submit(Write(doc, expected), patient=patient)

    async def write_if(
        self, key: str, condition: Document, fields: Document, *, patient: bool = False
    ) -> bool:
        """A newest-wins record (``runtime.store.write_if``), sharing one command with
        others'; ``patient``: may linger (``GroupCommit``)."""
        return await self._writes_if.submit(WriteIf(key, condition, fields), patient=patient)

    async def _write_if_batch(self, batch: list[Pending[WriteIf, bool]]) -> None:
        done = await conditional_upserts(self.collection, [p.request for p in batch])
        for pending, written in zip(batch, done, strict=True):
            pending.resolve(written)

    async def _load_batch(self, batch: list[Pending[Load, Document | None]]) -> None:
        ids = list(dict.fromkeys(p.request.doc_id for p in batch))
        tenants = list(dict.fromkeys(p.request.tenant_id for p in batch))
        query: Document = (
            {"_id": ids[0], "tenant_id": tenants[0]}
            if len(ids) == len(tenants) == 1
            else {"_id": {"$in": ids}, "tenant_id": {"$in": tenants}}
        )
        found = {doc["_id"]: doc async for doc in self._by_ids(query, len(ids))}
        served: set[str] = set()
        for pending in batch:
            doc = found.get(pending.request.doc_id)
            if doc is None or doc.get("tenant_id") != pending.request.tenant_id:
                pending.resolve(None)
            elif pending.request.doc_id in served:  # each waiter gets a document of its own
                pending.resolve(copy.deepcopy(doc))
            else:
                served.add(pending.request.doc_id)
                pending.resolve(doc)

    async def _write_batch(self, batch: list[Pending[Write, bool]]) -> None:
        requests: list[InsertOne[Document] | ReplaceOne[Document]] = [
            InsertOne(p.request.doc)
            if p.request.expected is None
            else ReplaceOne({"_id": p.request.doc_id, "version": p.request.expected}, p.request.doc)
            for p in batch
        ]
        errors: dict[int, Document] = {}
        try:
            matched = (await self.collection.bulk_write(requests, ordered=False)).matched_count
        except BulkWriteError as exc:
            if exc.details.get("writeConcernErrors"):
                raise
            matched = exc.details["nMatched"]
            errors = {error["index"]: error for error in exc.details["writeErrors"]}
        replaces: list[Pending[Write, bool]] = []
        for index, pending in enumerate(batch):
            if index in errors:
                pending.fail(write_error(errors[index]))
            elif pending.request.expected is None:
                pending.resolve(True)
            else:
                replaces.append(pending)
        failed_replaces = any(batch[i].request.expected is not None for i in errors)
        if matched == 0 or (matched == len(replaces) and not failed_replaces):
            for pending in replaces:
                pending.resolve(matched > 0)
        elif replaces:
            await self._read_back(replaces)

    def _by_ids(
        self, query: Document, ids: int, projection: Document | None = None
    ) -> AsyncCursor[Document]:
        """At most one document per id, in one reply: the limit lets the store close the
        cursor at once (given only a batch size, SecantusDB kept it open and the driver
        sent a ``getMore`` to learn that nothing was left)."""
        return self.collection.find(query, projection, limit=ids, batch_size=ids)

    async def _read_back(self, replaces: list[Pending[Write, bool]]) -> None:
        """Which replaces matched: those whose token the stored document holds."""
        ids = [p.request.doc_id for p in replaces]
        cursor = self._by_ids({"_id": {"$in": ids}}, len(ids), {WRITE_TOKENS: 1})
        tokens = {doc["_id"]: doc.get(WRITE_TOKENS) or [] async for doc in cursor}
        for pending in replaces:
            pending.resolve(pending.request.token in tokens.get(pending.request.doc_id, []))


def write_error(error: Document) -> WriteError:
    """The exception a lone write would have raised for this ``writeErrors`` entry."""
    message, code = str(error.get("errmsg", "")), int(error.get("code", 0))
    if code == 11000:
        return DuplicateKeyError(message, code, error)
    return WriteError(message, code, error)
