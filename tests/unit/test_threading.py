"""Threading and idempotency of contacts, on an in-memory store that interleaves writers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import events
from contracts.events import BookingReference, ReferenceKind
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from services.intake.domain import IllegalTransition, Ticket, TicketStatus
from services.intake.service import Intake, Outcome
from services.intake.store import TicketStore
from services.intake.ticket_keys import (
    key_entries,
    opening_key_entries,
    opening_traveller_entry,
    traveller_key,
)
from tests.factories import T0, contact
from tests.fakes import FakeDatabase, RecordingOutbox


def intake(
    chaos: random.Random | None = None, at: datetime = T0
) -> tuple[Intake, FakeClock, FakeDatabase]:
    """Intake on the in-memory fakes, its clock at ``at``."""
    clock = FakeClock(at)
    db = FakeDatabase(chaos)
    repo: Repository[Ticket] = Repository(db, "tickets", Ticket, RecordingOutbox(), clock)  # type: ignore[arg-type]
    return Intake(TicketStore(repo), clock, Signer("s" * 32), "http://intake"), clock, db


def tickets_in(db: FakeDatabase) -> list[dict[str, Any]]:
    return list(db["tickets"].docs.values())


def finds_from_now(db: FakeDatabase) -> Callable[[], list[dict[str, Any]]]:
    """The queries intake sends to its tickets and their keys after this call."""
    already = {name: len(db[name].finds) for name in ("tickets", "ticket_keys")}
    return lambda: [q for name, n in already.items() for q in db[name].finds[n:]]


async def test_messages_of_one_chat_session_make_one_ticket_with_repeat_contacts() -> None:
    desk, clock, db = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    clock.advance(timedelta(minutes=2))
    second, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="app-msg-2")
    )

    assert outcome is Outcome.FOLLOWED_UP
    assert second.id == first.id
    assert second.repeat_contacts == 1
    assert len(tickets_in(db)) == 1


async def test_the_same_traveller_and_booking_on_another_channel_joins_the_ticket() -> None:
    desk, clock, _ = intake()
    flight = [BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")]
    first, _ = await desk.receive_contact("acme", contact(references=flight))
    clock.advance(timedelta(hours=5))
    by_phone = contact(
        channel=events.Channel.PHONE,
        channel_message_id="call-1",
        conversation_key="call-1",
        references=flight,
    )

    joined, outcome = await desk.receive_contact("acme", by_phone)

    assert (outcome, joined.id) == (Outcome.FOLLOWED_UP, first.id)
    assert "phone:call-1" in joined.conversation_keys


async def test_the_same_booking_after_the_reference_window_opens_a_new_ticket() -> None:
    desk, clock, _ = intake()
    flight = [BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")]
    first, _ = await desk.receive_contact("acme", contact(references=flight))
    clock.advance(desk.policy.reference_window + timedelta(minutes=1))

    later, outcome = await desk.receive_contact(
        "acme", contact(channel_message_id="m9", references=flight)
    )

    assert outcome is Outcome.OPENED
    assert later.id != first.id


async def test_a_follow_up_after_closing_opens_the_conversations_next_ticket() -> None:
    desk, _, _ = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    await desk.act("acme", first.id, lambda t: t.resolve(code="a", message="m", agent="x", now=T0))
    await desk.act("acme", first.id, lambda t: t.close(by="x", now=T0))

    second, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2")
    )

    assert outcome is Outcome.OPENED
    assert (second.id != first.id, second.generation) == (True, 2)


async def test_a_follow_up_within_the_window_reopens_the_resolved_ticket() -> None:
    desk, clock, _ = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    await desk.act("acme", first.id, lambda t: t.resolve(code="a", message="m", agent="x", now=T0))
    clock.advance(timedelta(days=1))

    again, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2")
    )

    assert (outcome, again.id, again.status) == (
        Outcome.FOLLOWED_UP,
        first.id,
        TicketStatus.REOPENED,
    )


async def test_tenants_never_share_a_thread() -> None:
    desk, _, db = intake()
    acme, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    globex, outcome = await desk.receive_contact("globex", contact(conversation_key="s1"))

    assert outcome is Outcome.OPENED
    assert acme.id != globex.id
    assert len(tickets_in(db)) == 2


conversation = st.tuples(
    st.integers(min_value=1, max_value=4),  # messages in the conversation
    st.lists(st.integers(min_value=1, max_value=3), min_size=4, max_size=4),  # deliveries each
)


@settings(max_examples=60, deadline=None)
@given(
    conversations=st.lists(conversation, min_size=1, max_size=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_any_interleaving_of_duplicates_and_retries_yields_one_ticket_per_conversation(
    conversations: list[tuple[int, list[int]]], seed: int
) -> None:
    """Every delivery of every message runs concurrently, in a random order, with random
    yields inside each store call; the result is always one ticket per conversation,
    each message counted once. (Each conversation has its own traveller: the same
    traveller writing about the same booking is threaded into one ticket on purpose.)"""
    chaos = random.Random(seed)
    desk, _, db = intake(chaos)
    deliveries = [
        contact(
            conversation_key=f"conv-{c}",
            channel_message_id=f"conv-{c}-msg-{m}",
            traveller=events.Traveller(id=f"trav-{c}"),
        )
        for c, (messages, copies) in enumerate(conversations)
        for m in range(messages)
        for _ in range(copies[m])
    ]
    chaos.shuffle(deliveries)

    async def deliver_all() -> None:
        await asyncio.gather(*(desk.receive_contact("acme", d) for d in deliveries))

    asyncio.run(deliver_all())

    tickets = tickets_in(db)
    assert len(tickets) == len(conversations)
    for ticket in tickets:
        c = int(ticket["thread_key"].split("-")[1])
        messages = conversations[c][0]
        assert len(ticket["contact_ids"]) == messages
        assert ticket["repeat_contacts"] == messages - 1


async def test_every_lookup_a_contact_makes_is_keyed_by_id() -> None:
    """On nx-27017 a query on an array field scans every ticket: threading must not make one."""
    desk, clock, db = intake()
    flight = [BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")]
    await desk.receive_contact("acme", contact(conversation_key="s1", references=flight))
    queries = finds_from_now(db)
    clock.advance(timedelta(minutes=1))

    await desk.receive_contact(
        "acme", contact(conversation_key="s2", channel_message_id="m2", references=flight)
    )

    assert queries()
    assert all("_id" in query for query in queries())


async def test_a_contact_whose_keys_are_all_new_opens_its_ticket_without_a_read() -> None:
    desk, _, db = intake()
    flight = [BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")]
    queries = finds_from_now(db)

    ticket, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", references=flight)
    )

    assert outcome is Outcome.OPENED
    assert queries() == []
    member = f"000001|{ticket.id}"
    keys = db["ticket_keys"].docs
    by_traveller = keys.pop(traveller_key("acme", ticket.traveller.id))["tickets"]
    assert [doc["tickets"] for doc in keys.values()] == [[member]] * 3
    assert by_traveller == [f"{ticket.opened_us:017d}|{ticket.id}"]
    assert db["ticket_keys"].bulk_writes == [4]  # one write: the 3 claimed, the traveller's


async def test_a_claim_that_meets_a_known_key_reads_and_threads_as_before() -> None:
    desk, clock, db = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    queries = finds_from_now(db)
    clock.advance(timedelta(minutes=1))

    second, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2")
    )

    assert (outcome, second.id) == (Outcome.FOLLOWED_UP, first.id)
    assert queries()
    again, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2")
    )
    assert (outcome, again.id) == (Outcome.DUPLICATE, first.id)


async def test_a_follow_up_builds_no_ticket_it_would_not_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first try claims the keys of the ticket it would open without building it:
    a follow-up meets a known key and threads, so no ticket is built for nothing."""
    desk, clock, _ = intake()
    await desk.receive_contact("acme", contact(conversation_key="s1"))
    built: list[str] = []
    open_ticket = Ticket.open

    def counting_open(*args: Any, **kwargs: Any) -> Ticket:
        ticket = open_ticket(*args, **kwargs)
        built.append(ticket.id)
        return ticket

    monkeypatch.setattr(Ticket, "open", counting_open)
    clock.advance(timedelta(minutes=1))

    _, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2")
    )

    assert outcome is Outcome.FOLLOWED_UP
    assert built == []


async def test_the_keys_claimed_are_the_keys_of_the_ticket_that_opens() -> None:
    desk, _, _ = intake()
    flights = [BookingReference(kind=ReferenceKind.FLIGHT, value=v) for v in ("CA1501", "MU5101")]
    first = contact(conversation_key="s1", references=flights)

    ticket, _ = await desk.receive_contact("acme", first)

    contact_id = ticket.contact_ids[0]
    claimed = {
        *opening_key_entries("acme", first, contact_id),
        opening_traveller_entry("acme", first, T0),
    }
    assert claimed == key_entries(ticket)


async def test_a_key_whose_ticket_was_never_written_is_ignored() -> None:
    """Keys are written before the ticket: a crash in between leaves a hint, not a ticket."""
    desk, _, db = intake()
    first = contact(conversation_key="s1")
    ticket, _ = await desk.receive_contact("acme", first)
    db["tickets"].docs.clear()

    again, outcome = await desk.receive_contact("acme", first)

    assert (outcome, again.id) == (Outcome.OPENED, ticket.id)


async def test_tickets_stored_before_the_keys_existed_are_keyed_once_at_start() -> None:
    desk, clock, db = intake()
    ticket, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    db["ticket_keys"].docs.clear()

    assert await desk.tickets.index_history() == 1
    assert await desk.tickets.index_history() == 0
    clock.advance(timedelta(minutes=1))
    again, outcome = await desk.receive_contact(
        "acme", contact(conversation_key="s1", channel_message_id="m2")
    )
    assert (outcome, again.id) == (Outcome.FOLLOWED_UP, ticket.id)


async def two_tickets(desk: Intake) -> tuple[str, str]:
    """Two live tickets of one traveller, each in its own conversation and matter."""
    q, _ = await desk.receive_contact(
        "acme", contact(conversation_key="chat-q", traveller=events.Traveller(id="trav-q"))
    )
    r, _ = await desk.receive_contact(
        "acme",
        contact(
            conversation_key="chat-r",
            channel_message_id="m-r",
            traveller=events.Traveller(id="trav-q"),
            text="My hotel invoice is missing",
        ),
    )
    return q.id, r.id


async def test_merging_one_way_then_back_is_refused_and_leaves_the_survivor_live() -> None:
    desk, _, _ = intake()
    q, r = await two_tickets(desk)

    merged = await desk.merge("acme", q, r, "agent-7")

    with pytest.raises(IllegalTransition, match="cannot be merged"):
        await desk.merge("acme", r, q, "agent-7")
    survivor = await desk.get("acme", r)
    assert (merged.status, merged.merged_into) == (TicketStatus.CLOSED, r)
    assert (survivor.status, survivor.merged_into, survivor.absorbed) == (
        TicketStatus.ACKNOWLEDGED,
        None,
        [q],
    )


async def test_the_same_merge_again_answers_the_duplicate_and_writes_nothing() -> None:
    """docs/api.md: a closed duplicate is 409, except for the merge that closed it, repeated
    (a retry after a lost answer): that answers the duplicate as it is."""
    desk, _, _ = intake()
    q, r = await two_tickets(desk)
    first = await desk.merge("acme", q, r, "agent-7")
    survivor = await desk.get("acme", r)

    again = await desk.merge("acme", q, r, "agent-7")

    assert again.model_dump() == first.model_dump()
    assert (await desk.get("acme", r)).model_dump() == survivor.model_dump()


@pytest.mark.parametrize("seed", range(12))
async def test_of_two_crossing_merges_exactly_one_wins_and_one_ticket_stays_live(
    seed: int,
) -> None:
    """Q into R and R into Q at the same moment, with random yields inside every store
    call: one merge answers, the other is refused (409) having written nothing."""
    desk, _, db = intake(random.Random(seed))
    q, r = await two_tickets(desk)

    outcomes = await asyncio.gather(
        desk.merge("acme", q, r, "agent-7"),
        desk.merge("acme", r, q, "agent-8"),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, IllegalTransition)]
    merged = [o for o in outcomes if isinstance(o, Ticket)]
    assert (len(merged), len(refused)) == (1, 1)
    live = [t for t in tickets_in(db) if t["status"] != TicketStatus.CLOSED]
    assert [(t["_id"], t["absorbed"]) for t in live] == [(merged[0].merged_into, [merged[0].id])]
    assert [e["actor"] for t in tickets_in(db) for e in t["timeline"] if e["kind"] == "merged"] == [
        merged[0].timeline[-1].actor
    ] * 2
