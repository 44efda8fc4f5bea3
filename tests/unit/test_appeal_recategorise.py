"""Re-categorising an open appeal leaves it in its queue with its agent, whatever last
rewrote the case's ``rule``: a breach (``sla-escalated``), a hand-out (``dispatched``) or an
earlier re-categorisation. The appeal is the run's SLA tier, not the rule (docs/routing.md,
"Learning from agents")."""

from __future__ import annotations

import pytest

from contracts.events import AppealLevel
from services.routing.assignment.dispatch import Dispatch
from services.routing.assignment.domain.agents import Presence
from services.routing.domain.route import Recategorised
from services.routing.recategorise import recategorise
from tests.unit.test_appeal_escalation import resolve_then_appeal
from tests.unit.test_sla_case import SlaDesk
from tests.unit.test_sla_escalation_presence import breach, presence


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    await desk.open()
    return desk


async def recategorised(desk: SlaDesk, category: str) -> tuple[str | None, str | None]:
    """Re-categorise TC-1 by an agent; the queue and agent it is left with."""
    moved = Recategorised(by="agent-9")
    case = await recategorise(desk.router, "acme", "TC-1", moved, category)
    assert desk.published("ticket.routed")[-1]["rule"] == "recategorised-in-place"
    return case.queue, case.assignee


async def test_a_breached_appeal_stays_where_the_breach_put_it(desk: SlaDesk) -> None:
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    await breach(desk)
    before = await desk.case()
    assert before.rule == "sla-escalated"

    assert await recategorised(desk, "change_rebook") == (before.queue, before.assignee)


async def test_a_dispatched_appeal_stays_in_the_expert_queue(desk: SlaDesk) -> None:
    await presence(desk, "expert-1", Presence.OFFLINE)
    await resolve_then_appeal(desk, "sm-1", AppealLevel.EXPERT)
    assert ((await desk.case()).queue, (await desk.case()).assignee) == ("expert", None)
    await presence(desk, "expert-1", Presence.ONLINE)
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1
    assert (await desk.case()).rule == "dispatched"

    assert await recategorised(desk, "change_rebook") == ("expert", "expert-1")


async def test_a_second_re_categorisation_keeps_the_appeal_in_place(desk: SlaDesk) -> None:
    await resolve_then_appeal(desk, "sm-1", AppealLevel.EXPERT)
    assert await recategorised(desk, "change_rebook") == ("expert", "expert-1")

    assert await recategorised(desk, "invoice") == ("expert", "expert-1")
