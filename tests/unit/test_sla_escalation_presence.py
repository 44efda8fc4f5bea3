"""An SLA breach hands a ticket on only to someone online (docs/sla.md#escalation-on-breach):
an owner or a registered manager who is away or offline is passed over, and with nobody
online the ticket waits in its queue, the reason stated, for push assignment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.events import SlaClock
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.sla.domain import TimerKind
from tests.unit.test_sla_case import SlaDesk


@pytest.fixture
async def desk() -> SlaDesk:
    """The only expert holds TC-1 (everyone else was offline when it opened)."""
    desk = SlaDesk()
    await desk.setup()
    for other in ("agent-1", "senior-1"):
        await presence(desk, other, Presence.OFFLINE)
    await desk.open()
    assert await desk.holder() == ["expert-1"]
    return desk


async def presence(desk: SlaDesk, agent_id: str, now: Presence) -> None:
    await desk.store.agents.change(
        "acme", Agent.key("acme", agent_id), lambda a: setattr(a, "presence", now)
    )


async def register(desk: SlaDesk, agent_id: str, now: Presence) -> None:
    await desk.store.agents.add(
        Agent(
            id=Agent.key("acme", agent_id),
            tenant_id="acme",
            agent_id=agent_id,
            languages=["en"],
            presence=now,
        )
    )


async def breach(desk: SlaDesk) -> dict[str, str | None]:
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    return desk.published("sla.breached")[-1]


async def test_an_offline_expert_does_not_keep_a_breached_ticket(desk: SlaDesk) -> None:
    await presence(desk, "expert-1", Presence.OFFLINE)

    breached = await breach(desk)

    assert (breached["level"], breached["assignee"]) == ("management", "sm-1")
    assert breached["previous_assignee"] == "expert-1"
    case = await desk.case()
    assert case.assignee == "sm-1"
    assert "expert-1 offline" in (case.reason or "")
    assert await desk.holder() == [], "the offline expert's slot is given back"


async def test_an_away_owner_is_passed_over_like_an_offline_one(desk: SlaDesk) -> None:
    await presence(desk, "expert-1", Presence.AWAY)
    assert (await breach(desk))["assignee"] == "sm-1"


async def test_a_registered_manager_who_is_offline_is_passed_over(desk: SlaDesk) -> None:
    await presence(desk, "expert-1", Presence.OFFLINE)
    await register(desk, "sm-1", Presence.OFFLINE)
    await register(desk, "am-1", Presence.ONLINE)

    breached = await breach(desk)

    assert (breached["level"], breached["assignee"]) == ("management", "am-1")
    assert "support manager sm-1 offline" in ((await desk.case()).reason or "")


async def test_with_both_managers_offline_whoever_is_online_takes_it(desk: SlaDesk) -> None:
    await presence(desk, "expert-1", Presence.OFFLINE)
    await register(desk, "sm-1", Presence.OFFLINE)
    await register(desk, "am-1", Presence.AWAY)
    await presence(desk, "agent-1", Presence.ONLINE)

    assert (await breach(desk))["assignee"] == "agent-1"


async def test_with_nobody_online_it_waits_in_its_queue_saying_why(desk: SlaDesk) -> None:
    await presence(desk, "expert-1", Presence.OFFLINE)
    await register(desk, "sm-1", Presence.OFFLINE)
    await register(desk, "am-1", Presence.OFFLINE)

    breached = await breach(desk)

    assert (breached["level"], breached["assignee"]) == ("management", None)
    case = await desk.case()
    assert case.waiting_for_agent, "push assignment hands it to the first to come online"
    assert case.queue == breached["queue"]
    assert "nobody online" in (case.reason or "")
    assert "expert-1 offline" in (case.reason or "")
    assert await desk.holder() == []


async def test_an_online_expert_still_keeps_it(desk: SlaDesk) -> None:
    assert (await breach(desk))["assignee"] == "expert-1"
