"""A transfer whose commit loses its race gives back the slot it held for its new agent
(docs/routing.md, "Agents"): the handler level, on in-memory stores."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.store import ConcurrencyError
from services.routing.domain.case import RoutingCase
from services.routing.domain.status import CaseStatus
from services.routing.kb.articles import Article
from tests.factories import envelope
from tests.unit.test_routing_handlers import Desk, deliver, lifecycle, seed  # noqa: F401  (fixture)

REIMBURSEMENT = "Where is my reimbursement? I submitted it three weeks ago"


@pytest.fixture
async def desk(seed: list[Article]) -> Desk:  # noqa: F811
    """finance-en takes the reimbursement question; a transfer moves it to finance-2."""
    desk = Desk(seed)
    await desk.router.start()
    await desk.policy(bot_enabled=False)
    await desk.agent("finance-en")
    await desk.agent("finance-2", categories=["change_rebook"])
    return desk


async def test_a_transfer_that_loses_its_commit_to_the_resolve_holds_no_slot(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transfer held finance-2's slot, then the resolve committed first: the transfer's
    retry finds the case resolved (superseded) and stops, so the slot is given back when
    the commit is lost, or finance-2 looked busy for good."""
    ticket = await desk.open(REIMBURSEMENT)
    assert (await desk.case(ticket)).assignee == "finance-en"
    save = desk.store.cases.save
    overtaken = False

    async def overtaken_once(case: RoutingCase, *args: Any, **kwargs: Any) -> None:
        nonlocal overtaken
        if not overtaken:  # the resolve commits while the transfer is about to
            overtaken = True
            await deliver(desk, lifecycle(ticket, "resolve", 61))
        await save(case, *args, **kwargs)

    monkeypatch.setattr(desk.store.cases, "save", overtaken_once)
    moved = envelope(lifecycle(ticket, "transfer", 60))
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_transferred(moved)
    await desk.router.ticket_transferred(moved)  # the bus's retry: superseded, only logged

    case = await desk.case(ticket)
    assert (case.status, case.assignee) == (CaseStatus.RESOLVED, None)
    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([], [])


async def test_a_transfer_that_loses_its_commit_to_a_follow_up_keeps_the_slot_on_its_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost race the retry wins: the slot given back is held again, once."""
    ticket = await desk.open(REIMBURSEMENT)
    save = desk.store.cases.save
    overtaken = False

    async def overtaken_once(case: RoutingCase, *args: Any, **kwargs: Any) -> None:
        nonlocal overtaken
        if not overtaken:  # another write to the case commits first
            overtaken = True
            other = await desk.case(ticket)
            other.repeat_contacts += 1
            await save(other)
        await save(case, *args, **kwargs)

    monkeypatch.setattr(desk.store.cases, "save", overtaken_once)
    moved = envelope(lifecycle(ticket, "transfer", 60))
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_transferred(moved)
    await desk.router.ticket_transferred(moved)

    case = await desk.case(ticket)
    assert (case.status, case.assignee) == (CaseStatus.OPEN, "finance-2")
    assert (await desk.held("finance-en"), await desk.held("finance-2")) == ([], [ticket])
