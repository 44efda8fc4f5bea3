"""Shared reads and order-free writes: concurrent callers share one store command, and
each still gets exactly its own answer (``runtime/shared_commands.py``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import DeleteMany, UpdateOne
from pymongo.errors import BulkWriteError, ConnectionFailure

from runtime.shared_commands import SharedFind, SharedWrites
from tests.fakes import FakeCollection, FakeCursor


class Counted(FakeCollection):
    def __init__(self) -> None:
        super().__init__("trips")
        self.failing: set[str] = set()
        """Ids whose write the store refuses."""

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> Any:
        refused = [
            {"index": i, "code": 2, "errmsg": "refused"}
            for i, request in enumerate(requests)
            if str(request._filter.get("_id")) in self.failing
        ]
        if not refused:
            return await super().bulk_write(requests, ordered)
        self.bulk_writes.append(len(requests))
        upserted = []
        for index, request in enumerate(requests):  # unordered: the others are written
            if index not in {error["index"] for error in refused}:
                result = await self._one_request(request)
                if result.upserted_id is not None:
                    upserted.append({"index": index, "_id": result.upserted_id})
        details = {"writeErrors": refused, "writeConcernErrors": [], "upserted": upserted}
        raise BulkWriteError(details)


def travellers_trips(collection: Counted) -> SharedFind[tuple[str, str]]:
    return SharedFind(
        collection,  # type: ignore[arg-type]
        query=lambda keys: {
            "tenant_id": {"$in": sorted({t for t, _ in keys})},
            "traveller": {"$in": sorted({p for _, p in keys})},
        },
        matches=lambda key, doc: (doc["tenant_id"], doc["traveller"]) == key,
        name="by-traveller",
    )


async def test_concurrent_finds_share_one_command_and_each_gets_only_its_own() -> None:
    trips = Counted()
    trips.docs = {
        "1": {"_id": "1", "tenant_id": "acme", "traveller": "ann"},
        "2": {"_id": "2", "tenant_id": "acme", "traveller": "bob"},
        "3": {"_id": "3", "tenant_id": "globex", "traveller": "ann"},
    }
    shared = travellers_trips(trips)

    ann, bob, globex_ann, nobody = await asyncio.gather(
        shared.find(("acme", "ann")),
        shared.find(("acme", "bob")),
        shared.find(("globex", "ann")),
        shared.find(("acme", "cyd")),
    )

    assert [d["_id"] for d in ann] == ["1"]  # not globex's Ann, whom the wide query read too
    assert [d["_id"] for d in bob] == ["2"]
    assert [d["_id"] for d in globex_ann] == ["3"]
    assert nobody == []
    assert len(trips.finds) <= 2  # the first goes out alone, the rest wait and share one


async def test_two_callers_asking_the_same_get_documents_of_their_own() -> None:
    trips = Counted()
    trips.docs = {"1": {"_id": "1", "tenant_id": "acme", "traveller": "ann"}}
    shared = travellers_trips(trips)

    first, second = await asyncio.gather(shared.find(("acme", "ann")), shared.find(("acme", "ann")))
    first[0]["changed"] = True

    assert first[0] is not second[0]
    assert "changed" not in second[0]


async def test_a_lone_find_is_sent_at_once_and_the_next_sees_what_was_written_before_it() -> None:
    trips = Counted()
    shared = travellers_trips(trips)
    assert await shared.find(("acme", "ann")) == []

    trips.docs["1"] = {"_id": "1", "tenant_id": "acme", "traveller": "ann"}

    assert [d["_id"] for d in await shared.find(("acme", "ann"))] == ["1"]


def upsert(doc_id: str, **fields: Any) -> UpdateOne:
    return UpdateOne({"_id": doc_id}, {"$set": fields}, upsert=True)


async def test_concurrent_writes_share_one_bulk_write() -> None:
    timers = Counted()
    shared = SharedWrites(timers, name="writes")  # type: ignore[arg-type]

    await asyncio.gather(
        *(shared.write([upsert(f"t{n}:a", n=n), upsert(f"t{n}:b", n=n)]) for n in range(5))
    )

    assert sorted(timers.docs) == sorted(f"t{n}:{k}" for n in range(5) for k in "ab")
    assert len(timers.bulk_writes) <= 2
    assert sum(timers.bulk_writes) == 10


async def test_each_caller_learns_which_of_its_upserts_created_a_document() -> None:
    keys = Counted()
    keys.docs["t1:b"] = {"_id": "t1:b", "n": 0}
    shared = SharedWrites(keys, name="writes")  # type: ignore[arg-type]

    first = asyncio.ensure_future(shared.write([upsert("t0:a")]))
    await asyncio.sleep(0)  # the first goes out alone; the next two share a command
    created = await asyncio.gather(
        shared.write([upsert("t1:a"), upsert("t1:b")]),
        shared.write([upsert("t2:a"), upsert("t1:a")]),
    )

    assert await first == frozenset({0})
    assert created == [frozenset({0}), frozenset({0})]  # t1:a: the first of the two made it
    assert keys.bulk_writes == [1, 4]


async def test_writes_with_one_key_never_share_a_command() -> None:
    timers = Counted()
    shared = SharedWrites(timers, name="writes")  # type: ignore[arg-type]
    timers.docs["t1:a"] = {"_id": "t1:a", "n": 0}

    await asyncio.gather(
        shared.write([DeleteMany({"_id": {"$in": ["t1:a"]}})], key="t1"),
        shared.write([upsert("t1:a", n=1)], key="t1"),
    )

    assert timers.docs == {"t1:a": {"_id": "t1:a", "n": 1}}  # in the order they were asked
    assert timers.bulk_writes == [1, 1]


async def test_a_refused_write_fails_its_own_caller_only_with_its_own_index() -> None:
    timers = Counted()
    timers.failing = {"t2:b"}
    shared = SharedWrites(timers, name="writes")  # type: ignore[arg-type]

    first = asyncio.ensure_future(shared.write([upsert("t0:a")]))
    await asyncio.sleep(0)  # the first goes out alone; the next three share a command
    results = await asyncio.gather(
        shared.write([upsert("t1:a")]),
        shared.write([upsert("t2:a"), upsert("t2:b")]),
        shared.write([upsert("t3:a")]),
        return_exceptions=True,
    )
    await first

    assert results[0] == frozenset({0})
    assert results[2] == frozenset({0})
    refused = results[1]
    assert isinstance(refused, BulkWriteError)
    assert [e["index"] for e in refused.details["writeErrors"]] == [1]


async def test_a_failed_command_reaches_every_caller() -> None:
    trips = Counted()
    shared = travellers_trips(trips)

    def down(*args: Any, **kwargs: Any) -> FakeCursor:
        raise ConnectionFailure("store down")

    trips.find = down  # type: ignore[method-assign]
    results = await asyncio.gather(
        shared.find(("acme", "ann")), shared.find(("acme", "bob")), return_exceptions=True
    )

    assert all(isinstance(r, ConnectionFailure) for r in results)


async def test_nothing_to_write_sends_nothing() -> None:
    timers = Counted()
    await SharedWrites(timers, name="writes").write([])  # type: ignore[arg-type]
    assert timers.bulk_writes == []


@pytest.mark.parametrize("linger_s", [0.0, 0.02])
async def test_patient_callers_may_wait_for_company(linger_s: float) -> None:
    trips = Counted()
    shared: SharedFind[str] = SharedFind(
        trips,  # type: ignore[arg-type]
        query=lambda keys: {"traveller": {"$in": sorted(keys)}},
        matches=lambda key, doc: doc["traveller"] == key,
        name="by-traveller",
        linger_s=linger_s,
    )

    async def later(name: str) -> list[dict[str, Any]]:
        await asyncio.sleep(0.005)
        return await shared.find(name, patient=True)

    await asyncio.gather(shared.find("ann", patient=True), later("bob"))

    assert len(trips.finds) == (1 if linger_s else 2)
