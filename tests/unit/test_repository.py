"""The repository's write rules, on an in-memory collection."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from contracts import events
from runtime.clock import FakeClock
from runtime.store import AlreadyExists, ConcurrencyError, NotFound, Repository
from services.intake.domain import IllegalTransition, Ticket
from tests.factories import T0, TRAVELLER, contact, envelope
from tests.fakes import FakeDatabase, RecordingOutbox


def tickets() -> tuple[Repository[Ticket], FakeDatabase]:
    db = FakeDatabase()
    return Repository(db, "tickets", Ticket, RecordingOutbox(), FakeClock(T0)), db  # type: ignore[arg-type]


def resolve(code: str) -> Callable[[Ticket], None]:
    return lambda ticket: ticket.resolve(code=code, message="m", agent="agent-7", now=T0)


def new_ticket() -> Ticket:
    return Ticket.open(
        "acme",
        contact(),
        contact_id="c1",
        generation=1,
        language="en",
        tracking_url="https://t/x",
        now=T0,
    )


async def test_a_second_insert_of_the_same_id_is_refused() -> None:
    repo, _ = tickets()
    await repo.add(new_ticket())
    with pytest.raises(AlreadyExists):
        await repo.add(new_ticket())


async def test_a_stale_copy_cannot_overwrite_a_newer_one() -> None:
    repo, _ = tickets()
    ticket = new_ticket()
    await repo.add(ticket)
    first = await repo.get("acme", ticket.id)
    second = await repo.get("acme", ticket.id)
    assert first is not None
    assert second is not None

    resolve("a")(first)
    await repo.save(first)
    resolve("b")(second)
    with pytest.raises(ConcurrencyError):
        await repo.save(second)


async def test_a_command_is_retried_on_the_latest_version() -> None:
    repo, db = tickets()
    ticket = new_ticket()
    await repo.add(ticket)
    original_replace = db["tickets"].replace_one
    conflicts = iter([True])

    async def conflict_once(query: dict, doc: dict):  # type: ignore[no-untyped-def,type-arg]
        if next(conflicts, False):
            db["tickets"].docs[ticket.id]["version"] += 1
        return await original_replace(query, doc)

    db["tickets"].replace_one = conflict_once  # type: ignore[method-assign]
    resolved = await repo.change("acme", ticket.id, resolve("a"))

    assert resolved.resolution_code == "a"
    assert resolved.version == 3


async def test_a_refused_command_writes_nothing_and_other_tenants_see_nothing() -> None:
    repo, db = tickets()
    ticket = new_ticket()
    await repo.add(ticket)
    await repo.change("acme", ticket.id, resolve("a"))
    stored = dict(db["tickets"].docs[ticket.id])

    with pytest.raises(IllegalTransition):
        await repo.change("acme", ticket.id, resolve("b"))
    with pytest.raises(NotFound):
        await repo.change("globex", ticket.id, resolve("b"))

    assert db["tickets"].docs[ticket.id] == stored


async def test_messages_for_one_aggregate_in_one_process_take_turns_instead_of_conflicting() -> (
    None
):
    db = FakeDatabase(random.Random(3))
    repo: Repository[Ticket] = Repository(db, "tickets", Ticket, RecordingOutbox(), FakeClock(T0))  # type: ignore[arg-type]
    ticket = new_ticket()
    await repo.add(ticket)
    opened = events.TicketOpened(
        ticket_id=ticket.id,
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        text="x",
        opened_at=T0,
    )

    await asyncio.gather(
        *(
            repo.apply(
                envelope(opened), ticket.id, lambda t: t.note(text="n", agent="agent-7", now=T0)
            )
            for _ in range(10)
        )
    )

    stored = await repo.get("acme", ticket.id)
    assert stored is not None
    assert stored.version == 11
    assert len(repo._locks) == 0
