"""Exactly the store operations TripCare relies on, against whatever MONGO_URL serves.

nx-27017 (the local default) has known fidelity gaps (see DESIGN.md); this
suite pins the subset the code uses, so the same tests pass on a real MongoDB.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter
from pymongo import AsyncMongoClient, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from contracts.text import Instant
from runtime.store import Document
from services.intake.domain.search import search_pattern
from tests.integration.scratch import scratch_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
async def col(mongo: AsyncMongoClient[Document]):  # type: ignore[no-untyped-def]
    async with scratch_database(mongo, "conf") as db:
        yield db["docs"]


async def test_insert_refuses_a_taken_id_with_code_11000(col) -> None:  # type: ignore[no-untyped-def]
    await col.insert_one({"_id": "a", "version": 1})
    with pytest.raises(DuplicateKeyError) as caught:
        await col.insert_one({"_id": "a", "version": 1})
    assert caught.value.code == 11000


async def test_replace_only_matches_the_expected_version(col) -> None:  # type: ignore[no-untyped-def]
    await col.insert_one({"_id": "a", "version": 1, "items": [{"at": NOW, "x": 1}]})
    stale = await col.replace_one({"_id": "a", "version": 0}, {"version": 1})
    fresh = await col.replace_one(
        {"_id": "a", "version": 1},
        {"version": 2, "items": [{"at": NOW, "x": 1}, {"at": NOW, "x": 2}]},
    )
    doc = await col.find_one({"_id": "a"})
    assert (stale.matched_count, fresh.matched_count) == (0, 1)
    assert doc["items"][1] == {"at": NOW, "x": 2}


async def test_datetimes_come_back_timezone_aware(col) -> None:  # type: ignore[no-untyped-def]
    await col.insert_one({"_id": "a", "at": NOW})
    doc = await col.find_one({"_id": "a"})
    assert doc["at"] == NOW
    assert doc["at"].tzinfo is not None


async def test_a_date_set_in_place_reads_back_as_the_same_instant(col) -> None:  # type: ignore[no-untyped-def]
    """nx-27017 0.8.1 keeps a ``$set`` date as text without its zone (MongoDB keeps a date):
    fields written that way (a key's ``revoked_at``, a mailbox's ``last_checked_at``) are
    read as ``Instant``, naive meaning UTC, and never compared in a query."""
    await col.insert_one({"_id": "a", "at": None})
    await col.update_one({"_id": "a"}, {"$set": {"at": NOW}})
    doc = await col.find_one({"_id": "a"})
    assert TypeAdapter(Instant).validate_python(doc["at"]) == NOW


async def test_pull_sub_documents_by_field_and_bump_version(col) -> None:  # type: ignore[no-untyped-def]
    outbox = [{"message_id": "m1", "body": "{}"}, {"message_id": "m2", "body": "{}"}]
    await col.insert_one({"_id": "a", "version": 3, "outbox": outbox, "pending_ms": 1})
    await col.update_one(
        {"_id": "a"}, {"$pull": {"outbox": {"message_id": {"$in": ["m1"]}}}, "$inc": {"version": 1}}
    )
    doc = await col.find_one({"_id": "a"})
    assert [m["message_id"] for m in doc["outbox"]] == ["m2"]
    assert doc["version"] == 4


async def test_conditional_clear_with_unset(col) -> None:  # type: ignore[no-untyped-def]
    await col.insert_one(
        {"_id": "a", "version": 1, "outbox": [{"message_id": "m"}], "pending_ms": 1}
    )
    miss = await col.update_one(
        {"_id": "a", "version": 9}, {"$set": {"outbox": []}, "$unset": {"pending_ms": ""}}
    )
    hit = await col.update_one(
        {"_id": "a", "version": 1},
        {"$set": {"outbox": []}, "$unset": {"pending_ms": ""}, "$inc": {"version": 1}},
    )
    doc = await col.find_one({"_id": "a"})
    assert (miss.matched_count, hit.matched_count) == (0, 1)
    assert "pending_ms" not in doc
    assert doc["outbox"] == []


async def test_range_query_on_epoch_ms_sorted_and_limited(col) -> None:  # type: ignore[no-untyped-def]
    await col.create_index("pending_ms", sparse=True)
    for n in range(5):
        await col.insert_one({"_id": f"d{n}", "pending_ms": 10_000 - n})
    await col.insert_one({"_id": "none"})
    found = [
        d["_id"]
        async for d in col.find({"pending_ms": {"$lt": 10_000}}).sort("pending_ms", 1).limit(3)
    ]
    assert found == ["d4", "d3", "d2"]


async def test_the_sweeps_range_query_is_served_by_the_sparse_index(col) -> None:  # type: ignore[no-untyped-def]
    """After a restart the relay finds pending outboxes by ``pending_ms`` alone: a document
    without one is not in the sparse index, so the sweep reads only what is pending."""
    await col.create_index("pending_ms", sparse=True)
    await col.insert_many([{"_id": f"d{n}"} for n in range(20)] + [{"_id": "p", "pending_ms": 5}])
    query = col.find({"pending_ms": {"$lt": 10}}).sort("pending_ms", 1).limit(200)
    plan = str(await query.explain())
    assert "IXSCAN" in plan or "USING INDEX" in plan  # MongoDB, SecantusDB / nx-27017
    assert [d["_id"] async for d in col.find({"pending_ms": {"$lt": 10}})] == ["p"]


async def test_bulk_pull_by_id_then_unset_where_the_outbox_emptied(col) -> None:  # type: ignore[no-untyped-def]
    """The relay's clear when a version moved. nx-27017 matches neither ``outbox: []``
    (an error) nor ``outbox.message_id`` (silently nothing), so it filters by ``_id`` and
    finds emptied outboxes with ``$size``."""
    await col.insert_many(
        [
            {"_id": "a", "version": 2, "outbox": [{"message_id": "m1"}], "pending_ms": 1},
            {
                "_id": "b",
                "version": 2,
                "outbox": [{"message_id": "m2"}, {"message_id": "m3"}],
                "pending_ms": 1,
            },
            {"_id": "c", "version": 2, "outbox": [], "pending_ms": 1},
        ]
    )
    pulled = await col.bulk_write(
        [
            UpdateOne({"_id": "a"}, {"$pull": {"outbox": {"message_id": {"$in": ["m1"]}}}}),
            UpdateOne({"_id": "b"}, {"$pull": {"outbox": {"message_id": {"$in": ["m2"]}}}}),
        ],
        ordered=False,
    )
    unset = await col.update_many(
        {"_id": {"$in": ["a", "b"]}, "outbox": {"$size": 0}, "pending_ms": {"$exists": True}},
        {"$unset": {"pending_ms": ""}},
    )
    docs = {d["_id"]: d async for d in col.find({})}
    assert (pulled.matched_count, unset.matched_count) == (2, 1)
    assert docs["a"]["outbox"] == []
    assert "pending_ms" not in docs["a"]
    assert docs["b"]["outbox"] == [{"message_id": "m3"}]
    assert docs["b"]["pending_ms"] == 1
    assert docs["a"]["version"] == docs["b"]["version"] == 2
    assert "pending_ms" in docs["c"]  # not named, not touched


async def test_scoped_queries_on_sub_document_fields(col) -> None:  # type: ignore[no-untyped-def]
    await col.create_index([("tenant_id", 1), ("traveller.id", 1)])
    await col.insert_one({"_id": "a", "tenant_id": "acme", "traveller": {"id": "t1"}})
    await col.insert_one({"_id": "b", "tenant_id": "globex", "traveller": {"id": "t1"}})
    found = [d["_id"] async for d in col.find({"tenant_id": "acme", "traveller.id": "t1"})]
    assert found == ["a"]


async def test_unordered_bulk_replace_reports_how_many_versions_matched(col) -> None:  # type: ignore[no-untyped-def]
    """Group commit (runtime/store_batches.py): a batch's replaces report only a count."""
    await col.insert_many([{"_id": n, "version": 1} for n in "abc"])
    result = await col.bulk_write(
        [
            ReplaceOne({"_id": "a", "version": 1}, {"version": 2, "_w": ["ta"]}),
            ReplaceOne({"_id": "b", "version": 0}, {"version": 1, "_w": ["tb"]}),
            ReplaceOne({"_id": "c", "version": 1}, {"version": 2, "_w": ["tc"]}),
        ],
        ordered=False,
    )
    tokens = {
        d["_id"]: d.get("_w") async for d in col.find({"_id": {"$in": ["a", "b", "c"]}}, {"_w": 1})
    }
    assert result.matched_count == 2
    assert tokens == {"a": ["ta"], "b": None, "c": ["tc"]}


async def test_unordered_bulk_insert_reports_a_duplicate_by_index_and_writes_the_rest(col) -> None:  # type: ignore[no-untyped-def]
    await col.insert_one({"_id": "b", "version": 1})
    with pytest.raises(BulkWriteError) as caught:
        await col.bulk_write(
            [
                InsertOne({"_id": "a", "version": 1}),
                InsertOne({"_id": "b", "version": 1}),
                ReplaceOne({"_id": "b", "version": 1}, {"version": 2}),
                InsertOne({"_id": "c", "version": 1}),
            ],
            ordered=False,
        )
    details = caught.value.details
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(1, 11000)]
    assert (details["nInserted"], details["nMatched"]) == (2, 1)
    assert sorted([d["_id"] async for d in col.find({})]) == ["a", "b", "c"]


async def test_unordered_upserts_say_which_created_a_document_and_set_only_on_insert(col) -> None:  # type: ignore[no-untyped-def]
    """Intake claims a new ticket's keys this way: a key that exists keeps what it held."""
    await col.insert_one({"_id": "b", "tickets": ["old"]})

    result = await col.bulk_write(
        [
            UpdateOne({"_id": key}, {"$setOnInsert": {"tickets": ["new"]}}, upsert=True)
            for key in ("a", "b", "c", "a")
        ],
        ordered=False,
    )

    assert sorted(result.upserted_ids) == [0, 2]
    assert {d["_id"]: d["tickets"] async for d in col.find({})} == {
        "a": ["new"],
        "b": ["old"],
        "c": ["new"],
    }


async def test_an_upserted_push_keeps_the_last_members_in_a_bulk_write(col) -> None:  # type: ignore[no-untyped-def]
    """A traveller's key in ``ticket_keys`` grows this way, cut to its last members, in
    the same unordered write as the keys claimed with ``$setOnInsert``."""
    push = lambda member: UpdateOne(  # noqa: E731
        {"_id": "t"}, {"$push": {"tickets": {"$each": [member], "$slice": -3}}}, upsert=True
    )

    first = await col.bulk_write(
        [UpdateOne({"_id": "c"}, {"$setOnInsert": {"tickets": ["x"]}}, upsert=True), push("1")],
        ordered=False,
    )
    await col.bulk_write([push(m) for m in ("2", "3", "4")], ordered=False)
    await col.bulk_write([push("5")], ordered=False)

    assert sorted(first.upserted_ids) == [0, 1]
    assert (await col.find_one({"_id": "t"}))["tickets"] == ["3", "4", "5"]


async def test_a_batched_load_by_ids_and_tenants(col) -> None:  # type: ignore[no-untyped-def]
    await col.insert_many(
        [
            {"_id": "a", "tenant_id": "acme"},
            {"_id": "b", "tenant_id": "globex"},
            {"_id": "c", "tenant_id": "initech"},
        ]
    )
    found = col.find(
        {"_id": {"$in": ["a", "b", "c", "zz"]}, "tenant_id": {"$in": ["acme", "globex"]}}
    )
    assert sorted([d["_id"] async for d in found]) == ["a", "b"]


async def test_unordered_conditional_upserts_refuse_an_older_value_by_index(col) -> None:  # type: ignore[no-untyped-def]
    """Newest-wins records taken together (``BatchedCollection.write_if``): where the kept
    document does not meet its filter, the upsert's insert fails on ``_id`` (11000) by its
    index, and the others are written."""
    await col.insert_one({"_id": "kept", "at_ms": 9})
    requests = [
        UpdateOne({"_id": "kept", "at_ms": {"$lte": 3}}, {"$set": {"at_ms": 3}}, upsert=True),
        UpdateOne({"_id": "new", "at_ms": {"$lte": 4}}, {"$set": {"at_ms": 4}}, upsert=True),
        UpdateOne({"_id": "kept2", "at_ms": {"$lte": 5}}, {"$set": {"at_ms": 5}}, upsert=True),
    ]
    await col.insert_one({"_id": "kept2", "at_ms": 1})
    with pytest.raises(BulkWriteError) as caught:
        await col.bulk_write(requests, ordered=False)
    errors = caught.value.details["writeErrors"]
    assert [(e["index"], e["code"]) for e in errors] == [(0, 11000)]
    kept = {doc["_id"]: doc["at_ms"] async for doc in col.find({})}
    assert kept == {"kept": 9, "new": 4, "kept2": 5}


async def test_a_case_insensitive_regex_with_character_classes_of_han_and_full_width(col) -> None:  # type: ignore[no-untyped-def]
    """The ticket search's pattern (``services/intake/domain/search.py``): ``[发發]票``."""
    await col.insert_one({"_id": "a", "text": "請幫我重開發票"})
    await col.insert_one({"_id": "b", "text": "我的航班ＣＡ１５０１取消了"})
    await col.insert_one({"_id": "c", "text": "发货了吗"})
    for words, found in (("发票", ["a"]), ("ca1501", ["b"]), ("发货", ["c"])):
        query = {"text": {"$regex": search_pattern(words), "$options": "i"}}
        assert [d["_id"] async for d in col.find(query).sort("_id", 1)] == found, words
