"""SLA clocks inside routing, on in-memory stores with a fake clock: the events that start,
pause, resume and stop them, the durable timers kept in step, warnings, breaches and the
escalation ladder, and the scheduler's leases (no broker, no database)."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from faststream.rabbit import TestRabbitBroker
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.events import Priority, SlaClock, Traveller
from runtime.clock import FakeClock, epoch_ms
from runtime.store import Repository
from services.routing.api.cases import case_view
from services.routing.assignment.domain.agents import Agent, Presence
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import Rule, TenantQueue
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import Recategorised
from services.routing.kb.articles import E5Embedder, KnowledgeBase
from services.routing.main import build_router as SlaRouter
from services.routing.recategorise import recategorise
from services.routing.sla.domain import PriorityTerms, SlaPolicy, Targets, TimerKind
from services.routing.sla.scheduler import SlaScheduler, SlaSettings
from services.routing.sla.store import SLA_POLICIES, TIMERS, SlaStore, StoredTimer, TenantSlaPolicy
from services.routing.store import AGENTS, CASES, POLICIES, QUEUES, RoutingStore
from services.routing.subscribers import register as register_sla_subscribers
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_handlers import body, make_bus

EN = Traveller(id="trav-1", name="Ann", language="en")
TEXT = "I was charged twice on my invoice for order 5521, please refund the duplicate payment"
TERMS = PriorityTerms(
    targets=Targets(first_response_s=60, next_response_s=120, resolution_s=600, supplier_s=300),
    warn_share=0.5,
)
"""Every priority: first response 1 min (warning at 30 s), resolution 10 min."""


class SlaDesk:
    """Routing with SLA clocks on one in-memory database, and what it published."""

    def __init__(self, db: FakeDatabase | None = None, clock: FakeClock | None = None) -> None:
        self.db = db or FakeDatabase()
        self.outbox = RecordingOutbox()
        self.clock = clock or FakeClock(T0)

        def repo(name: str, model: type[Any]) -> Repository[Any]:
            return Repository(self.db, name, model, self.outbox, self.clock)  # type: ignore[arg-type]

        self.store = RoutingStore(
            self.db,  # type: ignore[arg-type]
            repo(CASES, RoutingCase),
            repo(AGENTS, Agent),
            repo(QUEUES, TenantQueue),
            repo(POLICIES, RoutingPolicy),
        )
        self.sla = SlaStore(self.db)  # type: ignore[arg-type]
        self.kb = KnowledgeBase(None, EMBEDDER)
        self.router = SlaRouter(self.store, self.sla, self.kb, self.clock, threshold=0.9)

    def twin(self) -> SlaDesk:
        """A second replica: same database and clock, its own process state."""
        other = SlaDesk(self.db, self.clock)
        other.router._model = self.router.model
        return other

    async def setup(self) -> None:
        await self.router.start()
        await self.store.policies.add(
            RoutingPolicy(
                id="acme",
                tenant_id="acme",
                bot_enabled=False,
                account_manager="am-1",
                support_manager="sm-1",
            )
        )
        stored = TenantSlaPolicy(
            id="acme", tenant_id="acme", policy=SlaPolicy(priorities=dict.fromkeys(Priority, TERMS))
        )
        await self.db[SLA_POLICIES].insert_one(stored.model_dump(by_alias=True))
        for agent_id, extra in (
            ("agent-1", {}),
            ("senior-1", {"senior": True}),
            ("expert-1", {"expert": True}),
        ):
            await self.store.agents.add(
                Agent(
                    id=Agent.key("acme", agent_id),
                    tenant_id="acme",
                    agent_id=agent_id,
                    categories=["invoice", "billing", "reimbursement", "cancel_refund"],
                    languages=["en"],
                    presence=Presence.ONLINE,
                    **extra,
                )
            )

    async def open(self, ticket_id: str = "TC-1") -> str:
        opened = events.TicketOpened(
            ticket_id=ticket_id,
            channel=events.Channel.IN_APP,
            traveller=EN,
            text=TEXT,
            opened_at=self.clock.now(),
        )
        await self.router.ticket_opened(envelope(opened))
        return ticket_id

    def published(self, key: str) -> list[dict[str, Any]]:
        unique = {m.message_id: m for m in self.outbox.messages if m.routing_key == key}
        return [json.loads(m.body)["payload"] for m in unique.values()]

    def timers(self) -> dict[tuple[str, str], StoredTimer]:
        stored = (StoredTimer.model_validate(d) for d in self.db[TIMERS].docs.values())
        return {(t.clock.value, t.kind.value): t for t in stored}

    def timer(self, clock: SlaClock, kind: TimerKind) -> StoredTimer:
        return self.timers()[(clock.value, kind.value)]

    async def case(self, ticket_id: str = "TC-1") -> RoutingCase:
        case = await self.store.cases.get("acme", ticket_id)
        assert case is not None
        return case

    async def holder(self, ticket_id: str = "TC-1") -> list[str]:
        return [a.agent_id for a in await self.store.agents_of("acme") if a.holds(ticket_id)]

    async def status(self, to: str, frm: str = "assigned", by: str = "agent-1") -> None:
        changed = events.TicketStatusChanged(
            ticket_id="TC-1", from_status=frm, to_status=to, by=by, changed_at=self.clock.now()
        )
        await self.router.ticket_status_changed(envelope(changed))

    def reply(self, first: bool = True) -> events.TicketReplied:
        return events.TicketReplied(
            ticket_id="TC-1",
            channel=events.Channel.IN_APP,
            traveller=EN,
            message="Looking into it",
            author="agent-1",
            first_response=first,
            replied_at=self.clock.now(),
        )


EMBEDDER = E5Embedder()


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    return desk


async def test_routing_starts_the_tenants_clocks_and_stores_their_timers(desk: SlaDesk) -> None:
    await desk.open()

    (routed,) = desk.published("ticket.routed")
    assert routed["assignee"] == "agent-1"
    assert at(routed["first_response_due"]) == T0 + timedelta(minutes=1)
    assert at(routed["resolution_due"]) == T0 + timedelta(minutes=10)
    assert {k: t.due_ms - epoch_ms(T0) for k, t in desk.timers().items()} == {
        ("first_response", "warn"): 30_000,
        ("first_response", "breach"): 60_000,
        ("resolution", "warn"): 300_000,
        ("resolution", "breach"): 600_000,
    }


async def test_the_first_reply_stops_its_clock_once_and_its_timers_go(desk: SlaDesk) -> None:
    await desk.open()
    desk.clock.advance(timedelta(seconds=40))
    replied = envelope(desk.reply())
    await desk.router.ticket_replied(replied)
    await desk.router.ticket_replied(replied)  # redelivered

    (stopped,) = desk.published("sla.stopped")
    assert (stopped["clock"], stopped["met"], stopped["elapsed_seconds"]) == (
        "first_response",
        True,
        40,
    )
    assert set(desk.timers()) == {("resolution", "warn"), ("resolution", "breach")}
    assert (await desk.case()).first_response_met is True


async def test_waiting_on_a_supplier_pauses_resolution_and_chases_the_supplier(
    desk: SlaDesk,
) -> None:
    await desk.open()
    await desk.router.ticket_replied(envelope(desk.reply()))
    desk.clock.advance(timedelta(minutes=2))
    await desk.status("waiting_on_supplier")
    assert set(desk.timers()) == {("supplier", "warn"), ("supplier", "breach")}

    desk.clock.advance(timedelta(minutes=20))
    await desk.status("assigned", frm="waiting_on_supplier")

    supplier = [s for s in desk.published("sla.stopped") if s["clock"] == "supplier"]
    assert [(s["met"], s["elapsed_seconds"]) for s in supplier] == [(False, 1200)]
    due = desk.timer(SlaClock.RESOLUTION, TimerKind.BREACH).due
    assert due == T0 + timedelta(minutes=30)  # 10 min target + the 20 min the supplier took


async def test_waiting_on_the_traveller_pauses_and_their_answer_resumes(desk: SlaDesk) -> None:
    await desk.open()
    await desk.status("waiting_on_traveller")
    assert desk.timers() == {}
    desk.clock.advance(timedelta(hours=1))
    await desk.status("assigned", frm="waiting_on_traveller", by="trav-1")
    assert desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH).due == T0 + timedelta(
        hours=1, minutes=1
    )


async def test_the_end_of_a_wait_takes_the_later_deadlines_to_the_case_and_intake(
    desk: SlaDesk,
) -> None:
    """The case's dues and intake's (console clock, queue order, the traveller's tracking
    page) kept the deadlines from before the wait; only the clocks moved."""
    await desk.open()
    await desk.router.ticket_replied(envelope(desk.reply()))
    desk.clock.advance(timedelta(minutes=2))
    await desk.status("waiting_on_traveller")
    desk.clock.advance(timedelta(hours=3))
    resumed = envelope(
        events.TicketStatusChanged(
            ticket_id="TC-1",
            from_status="waiting_on_traveller",
            to_status="assigned",
            by="trav-1",
            changed_at=desk.clock.now(),
        )
    )
    await desk.router.ticket_status_changed(resumed)
    await desk.router.ticket_status_changed(resumed)  # redelivered

    later = T0 + timedelta(hours=3, minutes=10)
    case = await desk.case()
    assert (case.resolution_due, case.sla.due(SlaClock.RESOLUTION)) == (later, later)
    assert (case.rule, case.reason) == (Rule.CATEGORY, desk.published("ticket.routed")[0]["reason"])
    opened, moved = desk.published("ticket.routed")
    assert (moved["rule"], at(moved["resolution_due"])) == ("sla-resumed", later)
    assert at(moved["first_response_due"]) == at(opened["first_response_due"]), "answered"
    assert (moved["queue"], moved["assignee"]) == (opened["queue"], opened["assignee"])

    await desk.status("waiting_on_traveller")
    await desk.status("assigned", frm="waiting_on_traveller", by="trav-1")
    assert len(desk.published("ticket.routed")) == 2, "a wait of no time moves nothing"


async def test_a_move_from_one_wait_to_another_resumes_nothing_and_tells_nobody(
    desk: SlaDesk,
) -> None:
    """The airline answered and the agent now waits on the traveller: the clocks stay paused,
    so no ``sla-resumed`` (it put "SLA clocks resumed" on the timeline of a waiting ticket);
    the supplier chase ends; the later end of the wait moves the deadlines."""
    await desk.open()
    await desk.router.ticket_replied(envelope(desk.reply()))
    desk.clock.advance(timedelta(minutes=2))
    await desk.status("waiting_on_supplier")
    desk.clock.advance(timedelta(hours=1))
    await desk.status("waiting_on_traveller", frm="waiting_on_supplier")

    assert len(desk.published("ticket.routed")) == 1
    (chase,) = desk.published("sla.stopped")[1:]
    assert chase["clock"] == "supplier"
    case = await desk.case()
    assert case.sla.due(SlaClock.RESOLUTION) is None

    desk.clock.advance(timedelta(hours=2))
    await desk.status("assigned", frm="waiting_on_traveller", by="trav-1")
    later = T0 + timedelta(hours=3, minutes=10)
    assert at(desk.published("ticket.routed")[-1]["resolution_due"]) == later


async def test_a_warning_tells_the_assignee_once(desk: SlaDesk) -> None:
    await desk.open()
    warn = desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.WARN)
    desk.clock.advance(timedelta(seconds=30))
    await desk.router.fire(warn)
    await desk.router.fire(warn)  # a second replica with the same stale timer

    (warning,) = desk.published("sla.warning")
    assert (warning["clock"], warning["assignee"], warning["queue"]) == (
        "first_response",
        "agent-1",
        "finance",
    )
    assert at(warning["deadline"]) == T0 + timedelta(minutes=1)
    assert ("first_response", "warn") not in desk.timers()


async def test_breaches_climb_the_ladder_with_raised_priority(desk: SlaDesk) -> None:
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    (first,) = desk.published("sla.breached")
    assert (first["level"], first["assignee"], first["previous_assignee"]) == (
        "senior_agent",
        "senior-1",
        "agent-1",
    )
    assert (first["previous_priority"], first["priority"]) == ("normal", "high")
    rerouted = desk.published("ticket.routed")[-1]
    assert (rerouted["assignee"], rerouted["priority"], rerouted["rule"]) == (
        "senior-1",
        "high",
        "sla-escalated",
    )
    assert rerouted["reason"].startswith("SLA first_response breached: escalated to senior_agent")
    assert await desk.holder() == ["senior-1"]

    await desk.router.ticket_replied(envelope(desk.reply()))
    (stopped,) = desk.published("sla.stopped")
    assert (stopped["clock"], stopped["met"]) == ("first_response", False)

    desk.clock.advance(timedelta(minutes=9))
    await desk.router.fire(desk.timer(SlaClock.RESOLUTION, TimerKind.BREACH))
    second = desk.published("sla.breached")[-1]
    assert (second["level"], second["queue"], second["assignee"]) == (
        "expert_team",
        "expert",
        "expert-1",
    )
    assert await desk.holder() == ["expert-1"]

    follow_up = events.TicketFollowedUp(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=EN,
        text="any news?",
        repeat_contacts=1,
        received_at=desk.clock.now(),
    )
    await desk.router.ticket_followed_up(envelope(follow_up))
    desk.clock.advance(timedelta(minutes=2))
    await desk.router.fire(desk.timer(SlaClock.NEXT_RESPONSE, TimerKind.BREACH))
    third = desk.published("sla.breached")[-1]
    assert (third["level"], third["assignee"], third["priority"]) == (
        "management",
        "expert-1",
        "critical",
    )
    assert (third["support_manager"], third["account_manager"]) == ("sm-1", "am-1")
    assert await desk.holder() == ["expert-1"], "management is told; the owner keeps it"


async def test_a_clock_counts_at_the_priority_it_ran_under_not_the_one_a_breach_raised(
    desk: SlaDesk,
) -> None:
    """A breach raises the ticket, not its running clocks (docs/sla.md): their stops and
    later breaches used to carry the raised priority, so feedback counted a normal ticket's
    missed first response under high."""
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    await desk.router.ticket_replied(envelope(desk.reply()))
    desk.clock.advance(timedelta(minutes=9))
    await desk.router.fire(desk.timer(SlaClock.RESOLUTION, TimerKind.BREACH))

    (stopped,) = desk.published("sla.stopped")
    assert (stopped["clock"], stopped["verdict"], stopped["priority"]) == (
        "first_response",
        "missed",
        "normal",
    )
    assert [
        (b["clock_priority"], b["previous_priority"], b["priority"])
        for b in desk.published("sla.breached")
    ] == [
        ("normal", "normal", "high"),
        ("normal", "high", "critical"),
    ]
    await desk.status("closed")
    resolution = desk.published("sla.stopped")[-1]
    assert (resolution["clock"], resolution["priority"]) == ("resolution", "normal")


async def test_re_categorising_after_a_breach_leaves_the_running_clocks_their_targets(
    desk: SlaDesk,
) -> None:
    """A breach raises the ticket, not its running clocks; re-categorising it afterwards
    re-routes at the same (raised) priority, so the clocks keep the targets they ran on
    (else the resolution clock took high's target and could breach at once)."""
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    before = (await desk.case()).sla.clocks[SlaClock.RESOLUTION]
    assert ((await desk.case()).priority, before.priority) == (Priority.HIGH, Priority.NORMAL)

    await recategorise(desk.router, "acme", "TC-1", Recategorised(by="agent-1"), "cancel_refund")

    after = (await desk.case()).sla.clocks[SlaClock.RESOLUTION]
    assert (after.priority, after.target_s, after.deadline) == (
        before.priority,
        before.target_s,
        before.deadline,
    )


async def test_the_only_expert_keeps_a_breached_ticket_and_their_slot(desk: SlaDesk) -> None:
    """Issue #18: the tenant's only expert held a critical ticket; the breach escalated it
    "to the expert team", passed the expert over and left it with nobody."""
    for other in ("agent-1", "senior-1"):
        await desk.store.agents.change(
            "acme", Agent.key("acme", other), lambda a: setattr(a, "presence", Presence.OFFLINE)
        )
    await desk.open()
    assert await desk.holder() == ["expert-1"]
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    (breach,) = desk.published("sla.breached")
    assert (breach["level"], breach["queue"], breach["assignee"]) == (
        "expert_team",
        "expert",
        "expert-1",
    )
    assert breach["previous_assignee"] == "expert-1"
    assert breach["manager"] == "sm-1", "the holder's manager is named on the event"
    assert await desk.holder() == ["expert-1"], "the expert's slot is not freed"
    case = await desk.case()
    assert case.assignee == "expert-1"
    assert "expert-1 keeps it" in (case.reason or "")


async def test_an_agents_own_team_lead_hears_of_their_breach(desk: SlaDesk) -> None:
    await desk.store.agents.change(
        "acme", Agent.key("acme", "senior-1"), lambda a: setattr(a, "manager", "lead-7")
    )
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    (breach,) = desk.published("sla.breached")
    assert (breach["assignee"], breach["manager"]) == ("senior-1", "lead-7")


async def test_an_unowned_ticket_nobody_can_take_goes_to_the_support_manager(
    desk: SlaDesk,
) -> None:
    for agent in await desk.store.agents_of("acme"):
        await desk.store.agents.change(
            "acme", agent.id, lambda a: setattr(a, "presence", Presence.OFFLINE)
        )
    await desk.open()
    assert await desk.holder() == []
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))
    (breach,) = desk.published("sla.breached")
    assert (breach["level"], breach["assignee"]) == ("management", "sm-1")


async def test_critical_tickets_name_the_policys_managers_for_notify(desk: SlaDesk) -> None:
    await desk.open()
    routed = desk.published("ticket.routed")[-1]
    assert (routed["account_manager"], routed["support_manager"]) == ("am-1", "sm-1")


async def test_with_no_senior_free_the_first_breach_goes_to_the_expert_team(
    desk: SlaDesk,
) -> None:
    await desk.store.agents.change(
        "acme",
        Agent.key("acme", "senior-1"),
        lambda agent: setattr(agent, "presence", Presence.AWAY),
    )
    await desk.open()
    desk.clock.advance(timedelta(minutes=1))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    (breach,) = desk.published("sla.breached")
    assert (breach["level"], breach["assignee"]) == ("expert_team", "expert-1")


async def test_a_stale_timer_of_a_resolved_ticket_is_dropped_silently(desk: SlaDesk) -> None:
    await desk.open()
    breach = desk.timer(SlaClock.RESOLUTION, TimerKind.BREACH)
    resolved = events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="refunded",
        message="done",
        resolved_by="agent-1",
        opened_at=T0,
        first_response_at=T0 + timedelta(minutes=2),
        resolved_at=T0 + timedelta(minutes=5),
        resolution_count=1,
    )
    desk.clock.advance(timedelta(minutes=5))
    await desk.router.ticket_resolved(envelope(resolved))
    assert {(s["clock"], s["met"]) for s in desk.published("sla.stopped")} == {
        ("first_response", False),
        ("resolution", True),
    }
    assert desk.timers() == {}

    await desk.db[TIMERS].insert_one(breach.model_dump(by_alias=True))  # left by a crash
    desk.clock.advance(timedelta(minutes=10))
    await desk.router.fire(breach)
    assert desk.published("sla.breached") == []
    assert desk.timers() == {}


async def test_two_replicas_firing_the_same_timer_breach_once() -> None:
    db = FakeDatabase(chaos=random.Random(7))
    one = SlaDesk(db)
    await one.setup()
    two = one.twin()
    await one.open()
    one.clock.advance(timedelta(minutes=1))
    breach = one.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH)

    await asyncio.gather(one.router.fire(breach), two.router.fire(breach))

    assert len(one.published("sla.breached") + two.published("sla.breached")) == 1
    assert await one.holder() == ["senior-1"]


async def test_schedulers_lease_due_timers_so_each_fires_on_one_replica_only() -> None:
    db = FakeDatabase(chaos=random.Random(3))
    one = SlaDesk(db)
    await one.setup()
    two = one.twin()
    for n in range(5):
        await one.open(f"TC-{n}")
    settings = SlaSettings(batch=50)
    schedulers = [
        SlaScheduler(d.sla, d.router, d.clock, settings, CollectorRegistry()) for d in (one, two)
    ]

    one.clock.advance(timedelta(seconds=29))
    assert await schedulers[0].tick() == 0  # nothing due yet
    one.clock.advance(timedelta(seconds=31))
    claimed = await asyncio.gather(*(s.tick() for s in schedulers))

    assert sum(claimed) == 10  # five warnings and five breaches of first response
    breaches = one.published("sla.breached") + two.published("sla.breached")
    assert sorted(b["ticket_id"] for b in breaches) == [f"TC-{n}" for n in range(5)]
    assert one.published("sla.warning") + two.published("sla.warning") == []  # overtaken
    assert all(key[0] == "resolution" for key in one.timers())


async def test_a_stopping_scheduler_gives_its_leases_back() -> None:
    desk = SlaDesk()
    await desk.setup()
    await desk.open()
    scheduler = SlaScheduler(desk.sla, desk.router, desk.clock, SlaSettings(), CollectorRegistry())
    leased = await desk.sla.claim(scheduler.owner, epoch_ms(T0 + timedelta(hours=1)), 10_000, 10)
    assert len(leased) == 4
    await scheduler.stop()
    assert {t.lease_owner for t in desk.timers().values()} == {""}


async def test_a_redelivered_reply_on_the_bus_stops_the_clock_once(desk: SlaDesk) -> None:
    await desk.open()
    bus = make_bus("routing")
    register_sla_subscribers(bus, desk.router)

    async with TestRabbitBroker(bus.broker) as broker:
        for _ in range(2):
            await broker.publish(
                body(desk.reply(), "reply-1"),
                exchange=bus.events_exchange,
                routing_key="ticket.replied",
            )

    assert [s["clock"] for s in desk.published("sla.stopped")] == ["first_response"]


async def test_the_running_scheduler_fires_what_falls_due_and_stops_cleanly(desk: SlaDesk) -> None:
    await desk.open()
    scheduler = SlaScheduler(
        desk.sla, desk.router, desk.clock, SlaSettings(poll_interval_s=0.05), CollectorRegistry()
    )
    scheduler.start()
    desk.clock.advance(timedelta(seconds=31))
    for _ in range(100):
        if desk.published("sla.warning"):
            break
        await asyncio.sleep(0.02)
    await scheduler.stop(timeout_s=1)

    assert [w["clock"] for w in desk.published("sla.warning")] == ["first_response"]
    assert desk.published("sla.breached") == []


async def test_the_case_file_shows_its_clocks_and_escalation(desk: SlaDesk) -> None:
    await desk.open()
    await desk.status("waiting_on_traveller")
    view = case_view(await desk.case())

    assert view.escalation is None
    assert [(c.clock, c.paused, c.deadline) for c in view.clocks] == [
        (SlaClock.FIRST_RESPONSE, True, None),
        (SlaClock.RESOLUTION, True, None),
    ]
