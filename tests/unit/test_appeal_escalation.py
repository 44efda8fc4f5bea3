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


async def name_deputy(desk: SlaDesk, deputy: str) -> None:
    """The policy's deputy support manager, as an admin's ``PUT /v1/policy`` sets it."""
    policy = await desk.store.policies.get("acme", "acme")
    assert policy is not None
    policy.deputy_support_manager = deputy
    await desk.store.policies.save(policy)
    desk.store.memo.forget("acme")


async def test_management_passes_over_a_support_manager_who_resolved_it(desk: SlaDesk) -> None:
    await name_deputy(desk, "dm-1")
    await resolve_then_appeal(desk, "sm-1", AppealLevel.EXPERT)
    assert (await desk.case()).assignee == "expert-1"
    await presence(desk, "expert-1", Presence.OFFLINE)

    breached = await breach(desk)

    assert (breached["level"], breached["assignee"]) == ("management", "dm-1")
    assert "sm-1 made the appealed resolution" in ((await desk.case()).reason or "")


async def test_management_hands_a_breached_appeal_to_no_account_manager(desk: SlaDesk) -> None:
    """The account manager serves VIPs; their role may decide no appeal (intake refuses
    them), so a breached appeal goes by name only to the managers named to decide one."""
    await resolve_then_appeal(desk, "sm-1", AppealLevel.EXPERT)
    await presence(desk, "expert-1", Presence.OFFLINE)

    breached = await breach(desk)

    assert breached["level"] == "management"
    assert breached["assignee"] not in {"am-1", "sm-1"}
    assert breached["account_manager"] == "am-1", "still told of the breach"


async def test_a_second_appeal_of_the_support_managers_resolution_goes_to_their_deputy(
    desk: SlaDesk,
) -> None:
    await name_deputy(desk, "dm-1")
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    await resolve_then_appeal(desk, "sm-1", AppealLevel.SUPPORT_MANAGER)

    routed = desk.published("ticket.routed")[-1]
    assert (routed["rule"], routed["assignee"]) == ("appeal", "dm-1")
    assert "sm-1 made the appealed resolution" in routed["reason"]
    assert "dm-1: the deputy support manager reviews it" in routed["reason"]


async def test_a_second_appeal_of_the_support_managers_resolution_skips_the_account_manager(
    desk: SlaDesk,
) -> None:
    """No deputy named: the expert desk as a first appeal, never the account manager, whose
    role may not decide a second appeal (docs/feedback.md#who-decides-an-appeal)."""
    await resolve_then_appeal(desk, "expert-1", AppealLevel.EXPERT)
    await resolve_then_appeal(desk, "sm-1", AppealLevel.SUPPORT_MANAGER)

    routed = desk.published("ticket.routed")[-1]
    assert (routed["rule"], routed["queue"]) == ("appeal", "expert")
    assert routed["assignee"] not in {"am-1", "sm-1"}


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
