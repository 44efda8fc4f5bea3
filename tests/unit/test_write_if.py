"""``write_if``: a newest-wins record in one upsert (a disruption's revision told, a ticket's
holder), and the first-insert race that a single upsert alone would lose."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from runtime.store import write_if
from runtime.store_batches import BatchedCollection
from tests.fakes import FakeDatabase


async def test_a_newer_value_replaces_the_kept_one_and_an_older_one_does_not() -> None:
    records = FakeDatabase()["records"]

    assert await write_if(records, "k", {"at": {"$lte": 5}}, {"at": 5})  # type: ignore[arg-type]
    assert await write_if(records, "k", {"at": {"$lte": 9}}, {"at": 9})  # type: ignore[arg-type]
    assert not await write_if(records, "k", {"at": {"$lte": 3}}, {"at": 3})  # type: ignore[arg-type]
    assert (await records.find_one({"_id": "k"}))["at"] == 9


class RacedFirstInsert:
    """Another writer inserted the first document between our filter and our insert: the
    first upsert fails on its ``_id``; the document is there for the retry."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def bulk_write(self, requests: list[UpdateOne], ordered: bool) -> None:
        self.calls.extend(request._filter for request in requests)  # type: ignore[misc]
        if len(self.calls) == 1:
            error = {"index": 0, "code": 11000, "errmsg": "E11000 duplicate key"}
            raise BulkWriteError({"writeErrors": [error], "writeConcernErrors": []})


async def test_a_newer_value_racing_the_first_insert_is_written_on_the_retry() -> None:
    records = RacedFirstInsert()

    assert await write_if(records, "k", {"at": {"$lte": 9}}, {"at": 9})  # type: ignore[arg-type]
    assert records.calls == [{"_id": "k", "at": {"$lte": 9}}] * 2


async def test_records_taken_together_share_one_command_and_each_learns_its_own_answer() -> None:
    database = FakeDatabase()
    records = database["records"]
    await records.insert_one({"_id": "kept", "at": 9})
    batches = BatchedCollection(records)  # type: ignore[arg-type]

    written = await asyncio.gather(
        batches.write_if("kept", {"at": {"$lte": 3}}, {"at": 3}),
        batches.write_if("new", {"at": {"$lte": 4}}, {"at": 4}),
        batches.write_if("other", {"at": {"$lte": 5}}, {"at": 5}),
    )

    assert written == [False, True, True]
    assert records.bulk_writes == [3, 1]  # the refused one again: it may have raced an insert
    assert (await records.find_one({"_id": "kept"}))["at"] == 9
    assert (await records.find_one({"_id": "new"}))["at"] == 4


async def test_two_records_of_one_document_never_share_a_command() -> None:
    records = FakeDatabase()["records"]
    batches = BatchedCollection(records)  # type: ignore[arg-type]

    written = await asyncio.gather(
        batches.write_if("k", {"at": {"$lte": 9}}, {"at": 9}),
        batches.write_if("k", {"at": {"$lte": 3}}, {"at": 3}),
    )

    assert written == [True, False]
    assert records.bulk_writes == [1, 1, 1]  # the second after the first, then its retry
