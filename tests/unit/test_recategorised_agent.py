"""Re-categorising a held case into another family's queue (``POST /v1/cases/{ticket_id}/
category``): its agent keeps it when skilled for that queue, or when the staff member asks
that they keep it; otherwise it is routed again, to a qualified agent or that queue, and
its agent's slot comes back once the case commits (docs/routing.md, "Learning from
agents"). Handler level, on in-memory stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from runtime.store import ConcurrencyError
from services.routing.assignment.domain.agents import Agent, Presence
from tests.slots import assert_slots_match
from tests.unit.test_reservation_race import REIMBURSEMENT, desk  # noqa: F401  (fixture)
from tests.unit.test_routing_handlers import Desk, seed  # noqa: F401  (fixture)
from tests.unit.test_routing_retries import http, keyed  # noqa: F401  (fixture)


async def away(desk: Desk, agent_id: str) -> None:  # noqa: F811
    await desk.store.agents.change(
        "acme", Agent.key("acme", agent_id), lambda a: setattr(a, "presence", Presence.AWAY)
    )


async def held_by_finance_en(desk: Desk) -> str:  # noqa: F811
    ticket = await desk.open(REIMBURSEMENT)
    assert (await desk.held("finance-en"), await desk.held("booking-en")) == ([ticket], [])
    return ticket


async def test_an_agent_without_the_new_familys_skill_hands_it_to_one_with_it(
    desk: Desk,  # noqa: F811
) -> None:
    ticket = await held_by_finance_en(desk)

    case = await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (case.queue, case.assignee) == ("booking", "booking-en")
    assert (await desk.held("finance-en"), await desk.held("booking-en")) == ([], [ticket])
    routed = desk.last("ticket.routed", ticket)
    assert (routed["assignee"], routed["rule"]) == ("booking-en", "recategorised")
    assert (
        "finance-en not qualified for booking (no change_rebook skill); booking-en"
        in (routed["reason"])
    )
    await assert_slots_match(desk.store)


async def test_with_nobody_qualified_free_it_waits_in_the_new_familys_queue(
    desk: Desk,  # noqa: F811
) -> None:
    ticket = await held_by_finance_en(desk)
    await away(desk, "booking-en")

    case = await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (case.queue, case.assignee, case.waiting_for_agent) == ("booking", None, True)
    assert (await desk.held("finance-en"), await desk.held("booking-en")) == ([], [])
    await assert_slots_match(desk.store)


async def test_an_agent_skilled_for_the_new_family_keeps_it(desk: Desk) -> None:  # noqa: F811
    """Even though booking-en is less loaded, and even at capacity: they hold it already."""
    await desk.agent("all-round", categories=["reimbursement", "change_rebook"], capacity=1)
    await away(desk, "finance-en")
    ticket = await desk.open(REIMBURSEMENT)
    assert (await desk.case(ticket)).assignee == "all-round"

    case = await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (case.queue, case.assignee) == ("booking", "all-round")
    assert (await desk.held("all-round"), await desk.held("booking-en")) == ([ticket], [])
    assert (
        "all-round keeps it: qualified for booking" in desk.last("ticket.routed", ticket)["reason"]
    )
    await assert_slots_match(desk.store)


async def test_an_agent_kept_on_request_keeps_it_whatever_their_skills(
    desk: Desk,  # noqa: F811
) -> None:
    ticket = await held_by_finance_en(desk)

    case = await desk.router.recategorise(
        "acme", ticket, "change_rebook", by="agent-7", keep_agent=True
    )

    assert (case.queue, case.assignee) == ("booking", "finance-en")
    assert (await desk.held("finance-en"), await desk.held("booking-en")) == ([ticket], [])
    assert "finance-en keeps it, as agent-7 asked" in desk.last("ticket.routed", ticket)["reason"]
    await assert_slots_match(desk.store)


async def test_a_holder_who_is_no_registered_agent_keeps_it(desk: Desk) -> None:  # noqa: F811
    """A manager's reply made the case theirs: there are no skills to check, and they hand
    it on with a transfer, as dispatch leaves it to them too."""
    ticket = await held_by_finance_en(desk)
    case = await desk.case(ticket)
    case.assignee = "manager-1"
    await desk.store.cases.save(case)
    await desk.store.agents.change(
        "acme", Agent.key("acme", "finance-en"), lambda a: a.release(ticket)
    )

    case = await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (case.queue, case.assignee) == ("booking", "manager-1")
    assert await desk.held("booking-en") == []
    await assert_slots_match(desk.store)


@pytest.mark.parametrize(
    "failure", [ConcurrencyError("TC-1"), ConnectionError("store unreachable")], ids=str
)
async def test_a_re_route_that_never_commits_leaves_the_agent_their_slot(
    desk: Desk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    ticket = await held_by_finance_en(desk)

    async def failing(*_: Any, **__: Any) -> None:
        raise failure

    monkeypatch.setattr(desk.store.cases, "save", failing)
    with pytest.raises(type(failure)):
        await desk.router.recategorise("acme", ticket, "change_rebook", by="agent-7")

    assert (await desk.case(ticket)).assignee == "finance-en"
    assert (await desk.held("finance-en"), await desk.held("booking-en")) == ([ticket], [])
    await assert_slots_match(desk.store)


async def test_keep_agent_is_asked_for_over_http_and_anything_but_a_boolean_is_refused(
    desk: Desk,  # noqa: F811
    http: httpx.AsyncClient,  # noqa: F811
) -> None:
    ticket = await held_by_finance_en(desk)
    url = f"/v1/cases/{ticket}/category"

    vague = {"category": "change_rebook", "keep_agent": "yes"}
    refused = await http.post(url, json=vague, headers=keyed("k-1", "acme"))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "keep_agent"]
    assert (await desk.case(ticket)).queue == "finance", "nothing was applied"

    kept = {"category": "change_rebook", "keep_agent": True}
    answer = await http.post(url, json=kept, headers=keyed("k-2", "acme"))
    assert answer.status_code == 200
    assert (answer.json()["queue"], answer.json()["assignee"]) == ("booking", "finance-en")
    assert await desk.held("finance-en") == [ticket]
    await assert_slots_match(desk.store)
