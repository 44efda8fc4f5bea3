"""An opening, a reopen or a re-categorisation reserves its agent's slot before the case
commits; when that commit does not land (a lost race, an error) the slot is given back at
once, not by the sweep 120 s later, and a slot a committed case gives its agent is never
freed (docs/routing.md, "Agents"); a resolve, close or transfer frees its agent's slot only
once it commits: the handler level, on in-memory stores."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from contracts import events
from runtime.store import ConcurrencyError
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.domain.case import RoutingCase
from services.routing.domain.status import CaseStatus
from services.routing.kb.articles import Article
from tests.factories import T0, envelope
from tests.slots import assert_slots_match
from tests.unit.test_routing_handlers import (  # noqa: F401  (fixture)
    EN,
    Desk,
    deliver,
    lifecycle,
    seed,
)

REIMBURSEMENT = "Where is my reimbursement? I submitted it three weeks ago"
Write = Callable[..., Awaitable[None]]


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    """finance-en takes the reimbursement question; booking-en takes rebooking."""
    desk = Desk(seed)
    await desk.router.start()
    await desk.policy(bot_enabled=False)
    await desk.agent("finance-en")
    await desk.agent("booking-en", categories=["change_rebook"])
    return desk


def opening(ticket: str = "TC-9") -> events.TicketOpened:
    return events.TicketOpened(
        ticket_id=ticket,
        channel=events.Channel.IN_APP,
        traveller=EN,
        text=REIMBURSEMENT,
        opened_at=T0,
    )


async def waiting_in_queue(desk: Desk) -> str:
    """A reimbursement question nobody could take (finance-en away): it waits in finance."""
    await desk.store.agents.change(
        "acme", Agent.key("acme", "finance-en"), lambda a: setattr(a, "presence", Presence.AWAY)
    )
    ticket = await desk.open(REIMBURSEMENT)
    assert (await desk.case(ticket)).assignee is None
    return ticket


def overtake(
    monkeypatch: pytest.MonkeyPatch, desk: Desk, method: str, first: Callable[[], Awaitable[Any]]
) -> None:
    """The store's ``method`` (add or save) of cases runs ``first`` once, before its own
    write: another writer commits while this one is about to."""
    write: Write = getattr(desk.store.cases, method)
    overtaken = False

    async def overtaken_once(case: RoutingCase, *args: Any, **kwargs: Any) -> None:
        nonlocal overtaken
        if not overtaken:
            overtaken = True
            await first()
        await write(case, *args, **kwargs)

    monkeypatch.setattr(desk.store.cases, method, overtaken_once)


async def test_an_opening_that_loses_its_commit_to_a_follow_up_gives_the_slot_back_at_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follow-up creates the (pending) case first: the opening's insert fails, and the
    slot it reserved for finance-en is free before the bus retries it."""
    followed = events.TicketFollowedUp(
        ticket_id="TC-9",
        channel=events.Channel.IN_APP,
        traveller=EN,
        text="Any news?",
        repeat_contacts=1,
        received_at=T0,
    )
    overtake(monkeypatch, desk, "add", lambda: desk.router.ticket_followed_up(envelope(followed)))
    opened = envelope(opening())

    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_opened(opened)
    assert await desk.held("finance-en") == []
    await assert_slots_match(desk.store)

    await desk.router.ticket_opened(opened)  # the bus's retry
    assert (await desk.case("TC-9")).assignee == "finance-en"
    assert await desk.held("finance-en") == ["TC-9"]
    await assert_slots_match(desk.store)


async def test_an_opening_whose_commit_fails_gives_the_slot_back_at_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a conflict: the store is unreachable when the case commits."""

    async def unreachable(*_: Any, **__: Any) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(desk.store.cases, "add", unreachable)
    with pytest.raises(ConnectionError):
        await desk.router.ticket_opened(envelope(opening()))

    assert await desk.held("finance-en") == []
    await assert_slots_match(desk.store)


async def test_a_redelivered_opening_that_loses_to_the_first_keeps_the_first_ones_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both deliveries found no case and reserved finance-en; the first commits while the
    redelivery is about to, whose lost insert leaves the committed case's slot alone."""
    opened = envelope(opening(), message_id="m-1")
    add = desk.store.cases.add

    async def first_delivery() -> None:
        monkeypatch.setattr(desk.store.cases, "add", add)
        await desk.router.ticket_opened(opened)

    overtake(monkeypatch, desk, "add", first_delivery)
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_opened(opened)
    assert await desk.held("finance-en") == ["TC-9"]

    await desk.router.ticket_opened(opened)  # the bus's retry: already applied
    assert (await desk.case("TC-9")).assignee == "finance-en"
    assert await desk.held("finance-en") == ["TC-9"]
    await assert_slots_match(desk.store)


async def test_a_reopen_that_loses_its_commit_to_the_close_gives_the_slot_back_at_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reopen goes back to finance-en (slot reserved), then the close after it commits
    first: its retry finds the case closed and stops, so the slot is free at once."""
    ticket = await desk.open(REIMBURSEMENT)
    await deliver(desk, lifecycle(ticket, "resolve", 60))
    close = lifecycle(ticket, "close", 61.5)
    overtake(monkeypatch, desk, "save", lambda: deliver(desk, close))
    reopened = envelope(lifecycle(ticket, "reopen", 61))

    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_reopened(reopened)
    assert await desk.held("finance-en") == []
    await desk.router.ticket_reopened(reopened)  # the bus's retry: superseded

    assert (await desk.case(ticket)).status is CaseStatus.CLOSED
    assert await desk.held("finance-en") == []
    await assert_slots_match(desk.store)


async def test_a_reopen_that_loses_its_commit_to_a_follow_up_holds_the_slot_on_its_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost race the retry wins: the slot given back is held again, once."""
    ticket = await desk.open(REIMBURSEMENT)
    await deliver(desk, lifecycle(ticket, "resolve", 60))

    async def follow_up() -> None:
        other = await desk.case(ticket)
        other.repeat_contacts += 1
        await desk.store.cases.save(other)

    overtake(monkeypatch, desk, "save", follow_up)
    reopened = envelope(lifecycle(ticket, "reopen", 61))
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_reopened(reopened)
    assert await desk.held("finance-en") == []
    await desk.router.ticket_reopened(reopened)

    case = await desk.case(ticket)
    assert (case.status, case.assignee) == (CaseStatus.OPEN, "finance-en")
    assert await desk.held("finance-en") == [ticket]
    await assert_slots_match(desk.store)


async def test_a_recategorisation_overtaken_by_the_resolve_holds_no_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting in finance, re-routed to booking-en (slot reserved), then the resolve commits
    first: the retry finds the case resolved and only corrects its category."""
    ticket = await waiting_in_queue(desk)
    overtake(monkeypatch, desk, "save", lambda: deliver(desk, lifecycle(ticket, "resolve", 60)))

    await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (await desk.case(ticket)).status is CaseStatus.RESOLVED
    assert (await desk.held("finance-en"), await desk.held("booking-en")) == ([], [])
    await assert_slots_match(desk.store)


async def test_a_recategorisation_that_never_commits_holds_no_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every attempt reserved booking-en and every commit lost: the command gives up and
    booking-en holds nothing for a case still waiting in finance."""
    ticket = await waiting_in_queue(desk)

    async def always_overtaken(*_: Any, **__: Any) -> None:
        raise ConcurrencyError(ticket)

    monkeypatch.setattr(desk.store.cases, "save", always_overtaken)
    with pytest.raises(ConcurrencyError):
        await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (await desk.case(ticket)).assignee is None
    assert await desk.held("booking-en") == []
    await assert_slots_match(desk.store)


async def test_a_transfer_that_never_commits_leaves_the_case_agent_their_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transfer's move released finance-en before a commit that fails: finance-en, whom
    the stored case still names, holds it again."""
    ticket = await desk.open(REIMBURSEMENT)
    await desk.agent("finance-2")

    async def unreachable(*_: Any, **__: Any) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(desk.store.cases, "save", unreachable)
    with pytest.raises(ConnectionError):
        await desk.router.ticket_transferred(envelope(lifecycle(ticket, "transfer", 60)))

    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([ticket], [])
    await assert_slots_match(desk.store)


async def test_a_transfer_that_loses_its_commit_leaves_the_slots_as_the_case_says_meanwhile(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the lost commit and the bus's retry the stored case still names finance-en:
    they hold it, finance-2 does not; the retry then moves it."""
    ticket = await desk.open(REIMBURSEMENT)
    await desk.agent("finance-2")

    async def follow_up() -> None:
        other = await desk.case(ticket)
        other.repeat_contacts += 1
        await desk.store.cases.save(other)

    overtake(monkeypatch, desk, "save", follow_up)
    moved = envelope(lifecycle(ticket, "transfer", 60))
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_transferred(moved)
    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([ticket], [])
    await assert_slots_match(desk.store)

    await desk.router.ticket_transferred(moved)
    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([], [ticket])
    await assert_slots_match(desk.store)


@pytest.mark.parametrize("step", ["resolve", "close"])
async def test_a_resolve_or_close_that_never_commits_leaves_the_agent_their_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """The stored case is still open with finance-en: they hold it, so a later reopen or
    handout counts it once, not beyond their capacity."""
    ticket = await desk.open(REIMBURSEMENT)

    async def unreachable(*_: Any, **__: Any) -> None:
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(desk.store.cases, "save", unreachable)
    with pytest.raises(ConnectionError):
        await deliver(desk, lifecycle(ticket, step, 60))

    case = await desk.case(ticket)
    assert (case.status, case.assignee) == (CaseStatus.OPEN, "finance-en")
    assert await desk.held("finance-en") == [ticket]
    await assert_slots_match(desk.store)


@pytest.mark.parametrize("step", ["resolve", "close"])
async def test_a_resolve_or_close_that_loses_its_commit_frees_the_slot_once_its_retry_lands(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """A follow-up commits first: finance-en keeps the slot the stored case gives them until
    the bus's retry resolves (or closes) it."""
    ticket = await desk.open(REIMBURSEMENT)

    async def follow_up() -> None:
        other = await desk.case(ticket)
        other.repeat_contacts += 1
        await desk.store.cases.save(other)

    overtake(monkeypatch, desk, "save", follow_up)
    with pytest.raises(ConcurrencyError):
        await deliver(desk, lifecycle(ticket, step, 60))
    assert await desk.held("finance-en") == [ticket]
    await assert_slots_match(desk.store)

    await deliver(desk, lifecycle(ticket, step, 60))
    assert (await desk.case(ticket)).status is not CaseStatus.OPEN
    assert await desk.held("finance-en") == []
    await assert_slots_match(desk.store)
