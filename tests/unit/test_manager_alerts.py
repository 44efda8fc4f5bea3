"""A manager is alerted once per event that matters: the ticket becoming critical, or a
breach — not again at each later re-publish of ``ticket.routed``.

At a breach that left a ticket critical the support manager got both the routed notice's
"critical ticket" alert and the breach notice at the same moment, and the critical alert
went out again when the waiting critical ticket was later pushed to an agent.
"""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.envelope import Event
from contracts.events import EscalationLevel, Priority, SlaClock
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role
from services.routing.assignment.dispatch import Dispatch
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.sla.domain import TimerKind
from tests.factories import envelope
from tests.unit.test_dispatch import resolved
from tests.unit.test_notify import routed
from tests.unit.test_notify_appeals_sla import breached
from tests.unit.test_sla_case import EN, TEXT, SlaDesk

MANAGERS = {Role.ACCOUNT_MANAGER, Role.SUPPORT_MANAGER, Role.MANAGER}
EVENTS: dict[str, type[Event]] = {
    "ticket.routed": events.TicketRouted,
    "sla.breached": events.SlaBreached,
}


def manager_notices(desk: SlaDesk, ticket_id: str) -> list[tuple[str, str]]:
    """(manager, template) for every notice notify makes of what routing published."""
    told = []
    for key, model in EVENTS.items():
        for payload in desk.published(key):
            if payload["ticket_id"] == ticket_id:
                for n in notices_for(model.model_validate(payload), "acme", Directory()):
                    if n.role in MANAGERS:
                        told.append((n.recipient.id, n.template))
    return told


async def open_critical(desk: SlaDesk, ticket_id: str) -> None:
    opened = events.TicketOpened(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=EN,
        text=TEXT,
        priority=Priority.CRITICAL,
        opened_at=desk.clock.now(),
    )
    await desk.router.ticket_opened(envelope(opened))


async def one_expert_desk() -> SlaDesk:
    """Critical tickets go to the expert queue: its one expert has room for one."""
    desk = SlaDesk()
    await desk.setup()
    for agent_id in ("agent-1", "senior-1"):
        await desk.store.agents.change(
            "acme", Agent.key("acme", agent_id), lambda a: setattr(a, "presence", Presence.OFFLINE)
        )
    await desk.store.agents.change(
        "acme", Agent.key("acme", "expert-1"), lambda a: setattr(a, "capacity", 1)
    )
    return desk


async def test_a_waiting_critical_ticket_pushed_to_an_agent_alerts_nobody_again() -> None:
    desk = await one_expert_desk()
    await open_critical(desk, "TC-1")
    await open_critical(desk, "TC-2")
    assert (await desk.case("TC-2")).waiting_for_agent
    alerted = [("am-1", "ticket_escalated"), ("sm-1", "ticket_escalated")]
    assert manager_notices(desk, "TC-2") == alerted

    await desk.router.ticket_resolved(envelope(resolved("TC-1", desk)))
    assert await Dispatch(desk.store, desk.clock).tenant("acme") == 1

    pushed = desk.published("ticket.routed")[-1]
    assert (pushed["rule"], pushed["previous_priority"]) == ("dispatched", "critical")
    assert manager_notices(desk, "TC-2") == alerted, "told once, when it became critical"


async def test_a_breach_that_makes_a_ticket_critical_alerts_each_manager_once() -> None:
    desk = SlaDesk()
    await desk.setup()
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    assert manager_notices(desk, "TC-1") == [("sm-1", "sla_breached_management")]

    desk.clock.advance(timedelta(minutes=9))
    await desk.router.fire(desk.timer(SlaClock.RESOLUTION, TimerKind.BREACH))

    escalated = desk.published("ticket.routed")[-1]
    assert (escalated["priority"], escalated["previous_priority"]) == ("critical", "high")
    breach = desk.published("sla.breached")[-1]
    assert (breach["level"], breach["account_manager"], breach["support_manager"]) == (
        "expert_team",
        "am-1",
        "sm-1",
    )
    assert sorted(manager_notices(desk, "TC-1")) == [
        ("am-1", "sla_breached_management"),
        ("sm-1", "sla_breached_management"),
        ("sm-1", "sla_breached_management"),
    ], "the first breach's notice, then one each for the breach that made it critical"


def test_a_routing_alerts_the_managers_only_when_the_ticket_becomes_critical() -> None:
    def alerted(event: events.TicketRouted) -> list[str]:
        notices = notices_for(event, "acme", Directory())
        return [n.recipient.id for n in notices if n.template == "ticket_escalated"]

    critical = routed(Priority.CRITICAL).model_copy(
        update={"account_manager": "am-1", "support_manager": "sm-1"}
    )

    assert alerted(critical) == ["am-1", "sm-1"], "a first routing, or an older event"
    raised = critical.model_copy(
        update={"rule": "urgency-raised", "previous_priority": Priority.HIGH}
    )
    assert alerted(raised) == ["am-1", "sm-1"]
    for rule in ("dispatched", "recategorised-in-place", "category"):
        again = critical.model_copy(update={"rule": rule, "previous_priority": Priority.CRITICAL})
        assert alerted(again) == [], rule
    at_breach = critical.model_copy(
        update={"rule": "sla-escalated", "previous_priority": Priority.HIGH}
    )
    assert alerted(at_breach) == [], "sla.breached tells them"


def test_a_breach_below_management_that_makes_a_ticket_critical_tells_the_managers() -> None:
    made = breached(EscalationLevel.SENIOR_AGENT, manager="sm-1", account_manager="am-1")
    already = made.model_copy(update={"previous_priority": Priority.CRITICAL})

    def told(event: events.SlaBreached) -> list[tuple[Role, str]]:
        notices = notices_for(event, "acme", Directory())
        return [(n.role, n.recipient.id) for n in notices if n.role in MANAGERS]

    assert told(made) == [(Role.MANAGER, "sm-1"), (Role.ACCOUNT_MANAGER, "am-1")]
    assert told(already) == [(Role.MANAGER, "sm-1")]
