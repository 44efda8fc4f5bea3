"""Bare closing words sent without a conversation go on the traveller's answered ticket.

QA: after trav-hk-9's ticket was resolved, the app's gateway posted "唔該晒！" without a
``conversation_key`` (as the README's own in-app example does). It has no thread of its
own, so it opened a brand-new ticket: acknowledged, queued, on an SLA clock, for a
"thanks". Such a message now goes as closing words on the traveller's most recently
answered ticket within the reopen window; anything else keeps opening a ticket, and an
ordinary new contact still opens without a read.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from services.intake.domain import Ticket, TicketStatus
from services.intake.service import Intake, Outcome
from services.intake.ticket_keys import NEWEST_PER_KEY, TRAVELLER_KEPT, traveller_key
from tests.factories import T0, TRAVELLER, contact
from tests.unit.test_threading import finds_from_now, intake, tickets_in

HK = events.Traveller(id="trav-hk-9", name="Chan Tai Man", language="zh-Hant")


def resolve(ticket: Ticket) -> None:
    ticket.resolve(code="answered", message="Done", agent="agent-7", now=ticket.last_activity_at)


async def opened(desk: Intake, message_id: str, traveller: events.Traveller = HK) -> Ticket:
    ticket, outcome = await desk.receive_contact(
        "acme",
        contact(channel_message_id=message_id, traveller=traveller, text="酒店訂單有問題"),
    )
    assert outcome is Outcome.OPENED
    return ticket


def thanks(
    message_id: str = "x", text: str = "唔該晒！", **overrides: object
) -> events.ContactReceived:
    values: dict[str, object] = {"traveller": HK, "text": text, **overrides}
    return contact(channel_message_id=message_id, **values)


@pytest.mark.parametrize("status", ["resolved", "bot_answered", "closed"])
async def test_bare_thanks_go_on_the_travellers_answered_ticket(status: str) -> None:
    desk, clock, db = intake()
    first = await opened(desk, "app-msg-1001")
    if status == "bot_answered":
        await desk.act("acme", first.id, lambda t: t._move(TicketStatus.BOT_ANSWERED, "answer"))
    else:
        await desk.act("acme", first.id, resolve)
    if status == "closed":
        await desk.act("acme", first.id, lambda t: t.close(by="agent-7", now=T0))
    clock.advance(timedelta(days=1))

    kept, outcome = await desk.receive_contact("acme", thanks())
    again, repeated = await desk.receive_contact("acme", thanks())

    assert (outcome, kept.id, kept.status.value) == (Outcome.FOLLOWED_UP, first.id, status)
    assert (kept.timeline[-1].kind, kept.repeat_contacts) == ("closing_words", 0)
    assert kept.take_events() == []  # nothing reopened, nobody paged
    assert (repeated, again.id) == (Outcome.DUPLICATE, first.id)
    assert len(tickets_in(db)) == 1


async def test_the_most_recently_answered_ticket_takes_them() -> None:
    desk, clock, _ = intake()
    older = await opened(desk, "m1")
    newer = await opened(desk, "m2")
    await desk.act("acme", newer.id, resolve)
    clock.advance(timedelta(hours=1))
    await desk.act(
        "acme", older.id, lambda t: t.resolve(code="a", message="m", agent="x", now=clock.now())
    )

    kept, _ = await desk.receive_contact("acme", thanks())

    assert kept.id == older.id


async def test_among_many_tickets_the_newest_are_read_and_the_list_stays_bounded() -> None:
    """The traveller's key lists tickets by when they were written, not by id, so the
    newest are read (``NEWEST_PER_KEY``), and keeps only the last ``TRAVELLER_KEPT``."""
    desk, clock, db = intake()
    for n in range(TRAVELLER_KEPT + 5):
        clock.advance(timedelta(minutes=1))
        latest = await opened(desk, f"m{n}")
    await desk.act("acme", latest.id, resolve)

    kept, outcome = await desk.receive_contact("acme", thanks())

    assert (outcome, kept.id) == (Outcome.FOLLOWED_UP, latest.id)
    members = db["ticket_keys"].docs[traveller_key("acme", HK.id)]["tickets"]
    assert len(members) == TRAVELLER_KEPT
    assert NEWEST_PER_KEY < TRAVELLER_KEPT


@pytest.mark.parametrize(
    ("why", "later", "who", "tenant"),
    [
        ("past the reopen window", timedelta(days=8), HK, "acme"),
        ("another traveller's ticket", timedelta(days=1), TRAVELLER, "acme"),
        ("another tenant's ticket", timedelta(days=1), HK, "globex"),
    ],
)
async def test_thanks_with_no_answered_ticket_of_theirs_open_one_as_before(
    why: str, later: timedelta, who: events.Traveller, tenant: str
) -> None:
    desk, clock, _ = intake()
    first = await opened(desk, "m1")
    await desk.act("acme", first.id, resolve)
    clock.advance(later)

    ticket, outcome = await desk.receive_contact(tenant, thanks(traveller=who))

    assert (outcome, ticket.id != first.id) == (Outcome.OPENED, True), why


async def test_an_open_ticket_does_not_take_them() -> None:
    desk, _, _ = intake()
    await opened(desk, "m1")

    _, outcome = await desk.receive_contact("acme", thanks())

    assert outcome is Outcome.OPENED


@pytest.mark.parametrize(
    "text", ["唔該晒，但係張發票仲未收到", "Thanks, where is my refund?", "你好"]
)
async def test_anything_but_closing_words_opens_a_ticket_without_a_read(text: str) -> None:
    desk, clock, db = intake()
    first = await opened(desk, "m1")
    await desk.act("acme", first.id, resolve)
    clock.advance(timedelta(days=1))
    queries = finds_from_now(db)
    writes = len(db["ticket_keys"].bulk_writes)

    ticket, outcome = await desk.receive_contact("acme", thanks(text=text))

    assert (outcome, ticket.id != first.id) == (Outcome.OPENED, True)
    assert queries() == []  # the traveller's key is written with the others, never read
    assert len(db["ticket_keys"].bulk_writes) == writes + 1


async def test_thanks_in_a_conversation_of_their_own_keep_to_it() -> None:
    desk, clock, _ = intake()
    first = await opened(desk, "m1")
    await desk.act("acme", first.id, resolve)
    clock.advance(timedelta(days=1))

    ticket, outcome = await desk.receive_contact("acme", thanks(conversation_key="s9"))

    assert (outcome, ticket.id != first.id) == (Outcome.OPENED, True)
