"""``write_if``: a newest-wins record in one upsert (a disruption's revision told, a ticket's
holder), and the first-insert race that a single upsert alone would lose."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from runtime.store import write_if
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

    async def update_one(self, query: dict[str, Any], update: dict[str, Any], upsert: bool) -> None:
        self.calls.append(query)
        if len(self.calls) == 1:
            raise DuplicateKeyError("E11000 duplicate key", 11000)


async def test_a_newer_value_racing_the_first_insert_is_written_on_the_retry() -> None:
    records = RacedFirstInsert()

    assert await write_if(records, "k", {"at": {"$lte": 9}}, {"at": 9})  # type: ignore[arg-type]
    assert records.calls == [{"_id": "k", "at": {"$lte": 9}}] * 2
