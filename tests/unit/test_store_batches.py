"""The repository under group commit, on an in-memory collection: concurrent loads and
writes share one command, and every caller still gets its own operation's outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import ConnectionFailure

from contracts import events
from runtime.aggregate import WRITE_TOKENS, Aggregate
from runtime.clock import FakeClock
from runtime.store import AlreadyExists, ConcurrencyError, Repository
from runtime.store_batches import TOKENS_KEPT
from tests.factories import T0, TRAVELLER
from tests.fakes import FakeCollection, FakeDatabase, RecordingOutbox

NONE = type(None)


class Thing(Aggregate):
    n: int = 0

    def bump(self) -> None:
        self.n += 1
        self.raise_event(
            events.TicketOpened(
                ticket_id=self.id,
                channel=events.Channel.EMAIL,
                traveller=TRAVELLER,
                text=f"n={self.n}",
                opened_at=T0,
            )
        )


class Desk:
    def __init__(self) -> None:
        self.db = FakeDatabase()
        self.outbox = RecordingOutbox()
        self.repo: Repository[Thing] = Repository(
            self.db,  # type: ignore[arg-type]
            "things",
            Thing,
            self.outbox,
            FakeClock(T0),
        )

    @property
    def things(self) -> FakeCollection:
        return self.db["things"]

    @property
    def finds(self) -> list[dict[str, Any]]:
        return self.things.finds

    async def stored(self, *ids: str, tenant: str = "acme") -> list[Thing]:
        found = await asyncio.gather(*(self.repo.get(tenant, i) for i in ids))
        assert all(thing is not None for thing in found)
        return [thing for thing in found if thing is not None]


def things(*ids: str) -> list[Thing]:
    return [Thing(id=i, tenant_id="acme") for i in ids]


async def test_concurrent_inserts_and_saves_of_distinct_aggregates_are_one_bulk_write_each() -> (
    None
):
    desk = Desk()
    await asyncio.gather(*(desk.repo.add(t) for t in things("a", "b", "c")))
    loaded = await desk.stored("a", "b", "c")
    for thing in loaded:
        thing.bump()

    await asyncio.gather(*(desk.repo.save(t) for t in loaded))

    assert desk.things.bulk_writes == [3, 3]
    assert len(desk.finds) == 1
    assert [d["n"] for d in desk.things.docs.values()] == [1, 1, 1]
    assert len(desk.outbox.messages) == 3


async def test_a_stale_version_in_a_batch_gets_concurrency_error_while_the_others_commit() -> None:
    desk = Desk()
    await asyncio.gather(*(desk.repo.add(t) for t in things("a", "b", "c")))
    a, b, c = await desk.stored("a", "b", "c")
    desk.things.docs["b"]["version"] = 7  # someone else wrote b meanwhile
    for thing in (a, b, c):
        thing.bump()

    outcomes = await asyncio.gather(*(desk.repo.save(t) for t in (a, b, c)), return_exceptions=True)

    assert [type(o) for o in outcomes] == [NONE, ConcurrencyError, NONE]
    assert {i: d["n"] for i, d in desk.things.docs.items()} == {"a": 1, "b": 0, "c": 1}
    assert desk.things.bulk_writes == [3, 3]
    assert len(desk.finds) == 2  # the load, then the batch's read-back
    assert len(desk.outbox.messages) == 2  # only what was committed reaches the relay


async def test_when_no_replace_of_a_batch_matched_none_is_read_back() -> None:
    desk = Desk()
    await desk.repo.add(Thing(id="a", tenant_id="acme"))
    (a,) = await desk.stored("a")
    desk.things.docs["a"]["version"] = 7

    with pytest.raises(ConcurrencyError):
        await desk.repo.save(a)

    assert len(desk.finds) == 1


async def test_a_duplicate_insert_gets_already_exists_while_the_others_commit() -> None:
    desk = Desk()
    await desk.repo.add(Thing(id="b", tenant_id="acme", n=5))
    batch = things("a", "b", "c")
    for thing in batch:
        thing.bump()

    outcomes = await asyncio.gather(*(desk.repo.add(t) for t in batch), return_exceptions=True)

    assert [type(o) for o in outcomes] == [NONE, AlreadyExists, NONE]
    assert {i: d["n"] for i, d in desk.things.docs.items()} == {"b": 5, "a": 1, "c": 1}
    assert desk.things.bulk_writes == [1, 3]
    assert len(desk.outbox.messages) == 2


async def test_two_writes_of_one_aggregate_never_share_a_batch() -> None:
    desk = Desk()
    first, second = Thing(id="a", tenant_id="acme"), Thing(id="a", tenant_id="acme")

    outcomes = await asyncio.gather(
        desk.repo.add(first), desk.repo.add(second), desk.repo.add(Thing(id="b", tenant_id="acme")),
        return_exceptions=True,
    )  # fmt: skip

    assert [type(o) for o in outcomes] == [NONE, AlreadyExists, NONE]
    assert desk.things.bulk_writes == [2, 1]


async def test_a_load_of_another_tenants_id_finds_nothing_even_beside_its_own_tenants_load() -> (
    None
):
    desk = Desk()
    await desk.repo.add(Thing(id="a", tenant_id="acme", n=3))

    mine, theirs, missing = await asyncio.gather(
        desk.repo.get("acme", "a"), desk.repo.get("globex", "a"), desk.repo.get("acme", "zz")
    )

    assert mine is not None
    assert mine.n == 3
    assert (theirs, missing) == (None, None)
    assert desk.finds == [{"_id": {"$in": ["a", "zz"]}, "tenant_id": {"$in": ["acme", "globex"]}}]


async def test_waiters_loading_one_aggregate_get_copies_of_their_own() -> None:
    desk = Desk()
    await desk.repo.add(Thing(id="a", tenant_id="acme"))

    first, second = await desk.stored("a", "a")
    first.processed.append("m1")

    assert second.processed == []
    assert len(desk.finds) == 1


async def test_a_connection_failure_reaches_every_waiter_and_nothing_reaches_the_relay() -> None:
    desk = Desk()

    async def unreachable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionFailure("store unreachable")

    desk.things.bulk_write = unreachable  # type: ignore[method-assign]
    batch = things("a", "b", "c")
    for thing in batch:
        thing.bump()

    outcomes = await asyncio.gather(*(desk.repo.add(t) for t in batch), return_exceptions=True)

    assert all(isinstance(outcome, ConnectionFailure) for outcome in outcomes)
    assert desk.outbox.messages == []


async def test_the_write_token_stays_out_of_the_model_and_goes_from_load_to_next_write() -> None:
    desk = Desk()
    await desk.repo.add(Thing(id="a", tenant_id="acme"))
    for _ in range(TOKENS_KEPT + 2):
        (thing,) = await desk.stored("a")
        thing.bump()
        await desk.repo.save(thing)

    tokens = desk.things.docs["a"][WRITE_TOKENS]
    assert len(tokens) == len(set(tokens)) == TOKENS_KEPT
    assert WRITE_TOKENS not in thing.model_dump(by_alias=True)
    assert thing.model_dump(by_alias=True) == Thing.model_validate(
        desk.things.docs["a"]
    ).model_dump(by_alias=True)


async def test_a_replace_overwritten_before_the_read_back_still_counts_as_committed() -> None:
    """Another process may load and replace the document between the bulk write and the
    read-back; it carries the tokens on, so the first writer does not mistake its own
    commit for a conflict (and an HTTP command is not applied twice)."""
    desk = Desk()
    await asyncio.gather(*(desk.repo.add(t) for t in things("a", "b")))
    a, b = await desk.stored("a", "b")
    desk.things.docs["b"]["version"] = 7
    bulk_write = desk.things.bulk_write
    other_process: Repository[Thing] = Repository(
        desk.db,  # type: ignore[arg-type]
        "things",
        Thing,
        RecordingOutbox(),
        FakeClock(T0),
    )

    async def then_another_process_writes(requests: Any, ordered: bool = True) -> Any:
        result = await bulk_write(requests, ordered)
        desk.things.bulk_write = bulk_write  # type: ignore[method-assign]
        other = await other_process.get("acme", "a")
        assert other is not None
        other.bump()
        await other_process.save(other)
        return result

    desk.things.bulk_write = then_another_process_writes  # type: ignore[method-assign]
    a.bump()
    b.bump()

    outcomes = await asyncio.gather(desk.repo.save(a), desk.repo.save(b), return_exceptions=True)

    assert [type(o) for o in outcomes] == [NONE, ConcurrencyError]
    assert desk.things.docs["a"]["n"] == 2
