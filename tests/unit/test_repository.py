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
    assert len(stored.processed) == 10
    assert [e.kind for e in stored.timeline].count("note") == 10
    # the first alone, the nine that queued behind it in one load and one write (#20)
    assert stored.version == 3
    assert len(repo._locks) == 0
    assert not repo._queued


async def test_a_failing_message_in_a_combined_turn_fails_alone() -> None:
    repo, _ = tickets()
    ticket = new_ticket()
    await repo.add(ticket)
    opened = events.TicketOpened(
        ticket_id=ticket.id,
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        text="x",
        opened_at=T0,
    )

    def refuse(t: Ticket) -> None:
        t.note(text="half", agent="agent-7", now=T0)
        raise IllegalTransition(t.status, "refused")

    def note(t: Ticket) -> None:
        t.note(text="n", agent="agent-7", now=T0)

    outcomes = await asyncio.gather(
        repo.apply(envelope(opened), ticket.id, note),
        repo.apply(envelope(opened), ticket.id, note),
        repo.apply(envelope(opened), ticket.id, refuse),
        repo.apply(envelope(opened), ticket.id, note),
        return_exceptions=True,
    )

    assert [type(o).__name__ for o in outcomes] == [
        "Ticket",
        "Ticket",
        "IllegalTransition",
        "Ticket",
    ]
    stored = await repo.get("acme", ticket.id)
    assert stored is not None
    assert [e.details.get("text") for e in stored.timeline if e.kind == "note"] == ["n"] * 3
    assert len(stored.processed) == 3


async def test_a_redelivery_queued_with_its_first_delivery_is_applied_once() -> None:
    repo, _ = tickets()
    ticket = new_ticket()
    await repo.add(ticket)
    opened = events.TicketOpened(
        ticket_id=ticket.id,
        channel=events.Channel.EMAIL,
        traveller=TRAVELLER,
        text="x",
        opened_at=T0,
    )
    first, second = envelope(opened), envelope(opened)

    def note(t: Ticket) -> None:
        t.note(text="n", agent="agent-7", now=T0)

    await asyncio.gather(*(repo.apply(e, ticket.id, note) for e in (first, second, first, second)))

    stored = await repo.get("acme", ticket.id)
    assert stored is not None
    assert [e.kind for e in stored.timeline].count("note") == 2
