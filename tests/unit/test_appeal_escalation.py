"""An appeal is never handed back to whoever made the resolution it appeals, not by an SLA
breach's escalation nor as a second appeal to the policy's support manager: intake refuses
them the decision (docs/feedback.md#who-decides-an-appeal)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import AppealLevel, Priority
from services.routing.assignment.dispatch import Dispatch
from services.routing.assignment.domain.agents import Agent, Presence
from tests.factories import envelope
from tests.unit.test_sla_case import EN, SlaDesk
from tests.unit.test_sla_escalation_presence import breach, presence, register


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    await desk.open()
    return desk


async def resolve_then_appeal(desk: SlaDesk, resolver: str, level: AppealLevel) -> None:
    number = 1 if level is AppealLevel.EXPERT else 2
    desk.clock.advance(timedelta(minutes=5))
    resolved = events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="refunded",
        message="Refunded.",
        resolved_by=resolver,
        opened_at=desk.clock.now(),
        first_response_at=desk.clock.now(),
        resolved_at=desk.clock.now(),
        resolution_count=number,
    )
    await desk.router.ticket_resolved(envelope(resolved))
    desk.clock.advance(timedelta(minutes=5))
    appealed = events.TicketReopened(
        ticket_id="TC-1",
        traveller=EN,
        reason="appeal: not solved",
        priority=Priority.HIGH,
        reopened_at=desk.clock.now(),
        appeal_id=f"A-TC-1-{number}",
        appeal_number=number,
        appeal_level=level,
    )
    await desk.router.ticket_reopened(envelope(appealed))


async def test_the_expert_rung_passes_over_the_resolver(desk: SlaDesk) -> None:
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    assert (await desk.case()).assignee is None, "the only expert made the resolution"

    breached = await breach(desk)

    assert breached["assignee"] != "expert-1"
    assert (breached["level"], breached["assignee"]) == ("management", "sm-1")
    assert await desk.holder() == []


async def test_management_passes_over_a_support_manager_who_resolved_it(desk: SlaDesk) -> None:
    await resolve_then_appeal(desk, "sm-1", AppealLevel.EXPERT)
    assert (await desk.case()).assignee == "expert-1"
    await presence(desk, "expert-1", Presence.OFFLINE)

    breached = await breach(desk)

    assert (breached["level"], breached["assignee"]) == ("management", "am-1")
    assert "sm-1 made the appealed resolution" in ((await desk.case()).reason or "")


async def test_a_second_appeal_of_the_support_managers_resolution_goes_to_another(
    desk: SlaDesk,
) -> None:
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    await resolve_then_appeal(desk, "sm-1", AppealLevel.SUPPORT_MANAGER)

    routed = desk.published("ticket.routed")[-1]
    assert (routed["rule"], routed["assignee"]) == ("appeal", "am-1")
    assert "sm-1 made the appealed resolution" in routed["reason"]


async def test_a_second_appeal_goes_to_the_support_manager_as_before(desk: SlaDesk) -> None:
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    await resolve_then_appeal(desk, "expert-1", AppealLevel.SUPPORT_MANAGER)

    assert desk.published("ticket.routed")[-1]["assignee"] == "sm-1"


async def test_an_appeal_left_waiting_by_a_breach_is_never_handed_to_the_resolver(
    desk: SlaDesk,
) -> None:
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    for agent_id in ("agent-1", "senior-1", "expert-1"):
        await presence(desk, agent_id, Presence.OFFLINE)
    for manager in ("sm-1", "am-1"):
        await register(desk, manager, Presence.OFFLINE)
    assert (await breach(desk))["assignee"] is None, "nobody online: it waits"
    assert (await desk.case()).rule == "sla-escalated"

    await presence(desk, "expert-1", Presence.ONLINE)
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 0
    assert await desk.holder() == []
    expert = next(a for a in await desk.store.agents_of("acme") if a.agent_id == "expert-1")
    other = expert.model_copy(update={"id": Agent.key("acme", "expert-2"), "agent_id": "expert-2"})
    await desk.store.agents.add(other)
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1
    assert await desk.holder() == ["expert-2"]
