"""Reads and order-free writes that concurrent callers share (``runtime/group_commit.py``, #20).

``BatchedCollection`` shares loads and writes of whole aggregates by ``_id``. The
lookups around them went one command per caller: a gateway key per request,
ticket keys per contact, a traveller's trips, open disruptions and SLA timers per
case. Here callers of one lookup queue up and one command answers them all:

- ``SharedFind``: one ``find`` whose filter covers every queued request
  (``query``); each caller gets the documents its own request ``matches``, as if
  it had sent its own filter. A read starts after the requests it answers were
  queued, so it sees every write that finished before them (a revoked key is
  refused at once, as with a read of its own). ``shared_by_ids`` is the common case:
  each caller asks for some ``_id``s (intake's ticket keys, routing's care keys).
- ``SharedWrites``: one unordered ``bulk_write`` for writes whose order does not
  matter (upserts by ``_id`` with ``$set`` or ``$addToSet``, deletes by ``_id``).
  Requests with the same ``key`` never share a command. A caller whose writes
  failed gets a ``BulkWriteError`` holding only its own errors, indexed as in its
  own list; the others succeed. Each caller learns which of its upserts created a
  document (intake claims a new ticket's keys this way, #20).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pymongo import DeleteMany, DeleteOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from runtime.group_commit import GroupCommit, Pending
from runtime.store_batches import Observers

Document = dict[str, Any]
K = TypeVar("K", bound=Hashable)
OrderFree = UpdateOne | UpdateMany | DeleteOne | DeleteMany
"""What ``SharedWrites`` takes: writes that commute with each other."""


class SharedFind(Generic[K]):
    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        query: Callable[[list[K]], Document],
        matches: Callable[[K, Document], bool],
        name: str,
        linger_s: float = 0.0,
        observers: Observers | None = None,
    ) -> None:
        """``query``: one filter for the distinct requests queued; ``matches``: whether a
        document found answers a request (the filter that request alone would send);
        ``name``: the batches' label in ``store_batch_size``."""
        self.collection = collection
        self._query = query
        self._matches = matches
        self._group: GroupCommit[K, list[Document]] = GroupCommit(
            self._flush,
            name=f"{collection.name}-{name}",
            linger_s=linger_s,
            observe=observers(collection.name, name) if observers else None,
        )

    async def find(self, request: K, *, patient: bool = False) -> list[Document]:
        """The documents answering ``request``; ``patient``: may linger for company."""
        return await self._group.submit(request, patient=patient)

    async def _flush(self, batch: list[Pending[K, list[Document]]]) -> None:
        requests = list(dict.fromkeys(pending.request for pending in batch))
        found = [doc async for doc in self.collection.find(self._query(requests))]
        given: set[int] = set()
        for pending in batch:
            mine = []
            for doc in found:
                if self._matches(pending.request, doc):
                    mine.append(copy.deepcopy(doc) if id(doc) in given else doc)
                    given.add(id(doc))
            pending.resolve(mine)


def shared_by_ids(
    collection: AsyncCollection[Document],
    *,
    name: str,
    linger_s: float = 0.0,
    observers: Observers | None = None,
) -> SharedFind[tuple[str, ...]]:
    """Callers each asking for the documents of some ``_id``s share one ``$in`` read."""
    return SharedFind(
        collection,
        query=lambda wanted: {"_id": {"$in": sorted({i for ids in wanted for i in ids})}},
        matches=lambda ids, doc: doc["_id"] in ids,
        name=name,
        linger_s=linger_s,
        observers=observers,
    )


@dataclass(frozen=True, eq=False)
class _Writes:
    key: Hashable
    operations: Sequence[OrderFree]


class SharedWrites:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        name: str,
        linger_s: float = 0.0,
        observers: Observers | None = None,
    ) -> None:
        self.collection = collection
        self._group: GroupCommit[_Writes, frozenset[int]] = GroupCommit(
            self._flush,
            key=lambda writes: writes.key,
            name=f"{collection.name}-{name}",
            linger_s=linger_s,
            observe=observers(collection.name, name) if observers else None,
        )

    async def write(
        self, operations: Sequence[OrderFree], *, key: Hashable = None, patient: bool = False
    ) -> frozenset[int]:
        """Apply ``operations`` (unordered); ``key``: requests sharing it go one at a time.

        Returns the indices (in ``operations``) of the upserts that inserted a document."""
        if not operations:
            return frozenset()
        return await self._group.submit(
            _Writes(key if key is not None else object(), operations), patient=patient
        )

    async def _flush(self, batch: list[Pending[_Writes, frozenset[int]]]) -> None:
        operations = [op for pending in batch for op in pending.request.operations]
        try:
            result = await self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            if exc.details.get("writeConcernErrors"):
                raise
            upserted = {u["index"] for u in exc.details.get("upserted", [])}
            _settle_each(batch, exc.details.get("writeErrors", []), upserted)
            return
        _settle_each(batch, [], set(result.upserted_ids or {}))


def _settle_each(
    batch: list[Pending[_Writes, frozenset[int]]], errors: list[Document], upserted: set[int]
) -> None:
    """Each caller gets the errors of its own operations, or else the indices of its own
    upserts that inserted, by their index in its own list."""
    start = 0
    for pending in batch:
        end = start + len(pending.request.operations)
        own = [
            {**error, "index": error["index"] - start}
            for error in errors
            if start <= error["index"] < end
        ]
        if own:
            pending.fail(BulkWriteError({"writeErrors": own, "writeConcernErrors": []}))
        else:
            pending.resolve(frozenset(i - start for i in upserted if start <= i < end))
        start = end
