"""A merge carries the traveller's unanswered message to the ticket it was merged into
(docs/sla.md#merges): the survivor's next response clock takes over the duplicate's owed
response clock, whichever of the merge's two events reaches routing first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.events import Priority, SlaClock
from services.routing.sla.domain import CaseSla, TimerKind
from services.routing.sla.domain.policies import DEFAULT_SLA, Tier
from services.routing.sla.store import TIMERS, StoredTimer
from services.routing.subscribers import register as register_sla_subscribers
from tests.factories import T0, envelope
from tests.unit.test_handlers import body, make_bus
from tests.unit.test_sla_case import EN, SlaDesk


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    return desk


def reply(desk: SlaDesk, ticket_id: str) -> events.TicketReplied:
    return desk.reply().model_copy(update={"ticket_id": ticket_id, "replied_at": desk.clock.now()})


def follow_up(desk: SlaDesk, ticket_id: str) -> events.TicketFollowedUp:
    return events.TicketFollowedUp(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=EN,
        text="any news?",
        repeat_contacts=1,
        received_at=desk.clock.now(),
    )


async def merge(desk: SlaDesk, duplicate: str, into: str, *, merged_first: bool) -> None:
    """What intake publishes for a merge: the duplicate's close and ``ticket.merged``."""
    now = desk.clock.now()
    closed = events.TicketStatusChanged(
        ticket_id=duplicate,
        from_status="assigned",
        to_status="closed",
        by="agent-1",
        changed_at=now,
    )
    merged = events.TicketMerged(
        ticket_id=duplicate, into_ticket_id=into, by="agent-1", merged_at=now
    )
    if merged_first:
        await desk.router.ticket_merged(envelope(merged))
    await desk.router.ticket_status_changed(envelope(closed))
    if not merged_first:
        await desk.router.ticket_merged(envelope(merged))


def timers_of(desk: SlaDesk, ticket_id: str) -> list[tuple[SlaClock, TimerKind]]:
    stored = (StoredTimer.model_validate(d) for d in desk.db[TIMERS].docs.values())
    return sorted((t.clock, t.kind) for t in stored if t.ticket_id == ticket_id)


def stopped(desk: SlaDesk, ticket_id: str) -> list[tuple[str, str | None, int]]:
    return [
        (s["clock"], s["verdict"], s["elapsed_seconds"])
        for s in desk.published("sla.stopped")
        if s["ticket_id"] == ticket_id
    ]


@pytest.mark.parametrize("merged_first", [True, False])
async def test_an_unanswered_duplicate_starts_the_survivors_next_response_from_its_wait(
    desk: SlaDesk, merged_first: bool
) -> None:
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=10))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))  # TC-1 answered
    await desk.open("TC-2")  # the traveller writes again, as a new ticket, at T0 + 10 s
    desk.clock.advance(timedelta(seconds=20))
    await merge(desk, "TC-2", "TC-1", merged_first=merged_first)

    survivor = await desk.case("TC-1")
    carried = survivor.sla.running(SlaClock.NEXT_RESPONSE)
    assert carried is not None
    assert carried.started_at == T0 + timedelta(seconds=10)
    assert carried.deadline == T0 + timedelta(seconds=70)  # TC-2's first response: 1 min
    assert (SlaClock.NEXT_RESPONSE, TimerKind.BREACH) in timers_of(desk, "TC-1")
    assert stopped(desk, "TC-2")[0] == ("first_response", "void", 20)

    desk.clock.advance(timedelta(seconds=15))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))
    assert ("next_response", "met", 35) in stopped(desk, "TC-1")


async def test_a_duplicates_unanswered_follow_up_carries_over_too(desk: SlaDesk) -> None:
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))
    await desk.open("TC-2")
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-2")))
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_followed_up(envelope(follow_up(desk, "TC-2")))
    desk.clock.advance(timedelta(seconds=5))
    await merge(desk, "TC-2", "TC-1", merged_first=False)

    carried = (await desk.case("TC-1")).sla.running(SlaClock.NEXT_RESPONSE)
    assert carried is not None
    assert carried.started_at == T0 + timedelta(seconds=15)
    assert carried.target_s == 120  # the duplicate's next response, as the traveller was told


async def test_an_answered_duplicate_carries_nothing(desk: SlaDesk) -> None:
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))
    await desk.open("TC-2")
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-2")))
    desk.clock.advance(timedelta(seconds=5))
    await merge(desk, "TC-2", "TC-1", merged_first=True)

    assert (await desk.case("TC-1")).sla.running(SlaClock.NEXT_RESPONSE) is None


async def test_the_survivors_own_response_clock_stays_when_it_is_due_first(desk: SlaDesk) -> None:
    await desk.open("TC-2")  # the duplicate came first, answered, then chased at T0 + 10 s
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-2")))
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_followed_up(envelope(follow_up(desk, "TC-2")))  # due T0 + 130 s
    await desk.open("TC-1")  # the survivor's first response is due at T0 + 70 s
    desk.clock.advance(timedelta(seconds=5))
    await merge(desk, "TC-2", "TC-1", merged_first=True)

    survivor = await desk.case("TC-1")
    assert survivor.sla.running(SlaClock.NEXT_RESPONSE) is None
    first = survivor.sla.running(SlaClock.FIRST_RESPONSE)
    assert first is not None
    assert first.deadline == T0 + timedelta(seconds=70)


async def test_an_earlier_wait_replaces_the_survivors_later_next_response(desk: SlaDesk) -> None:
    await desk.open("TC-2")  # unanswered since T0: due T0 + 60 s
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))
    desk.clock.advance(timedelta(seconds=5))
    await desk.router.ticket_followed_up(envelope(follow_up(desk, "TC-1")))  # due T0 + 130 s
    desk.clock.advance(timedelta(seconds=5))
    await merge(desk, "TC-2", "TC-1", merged_first=False)

    carried = (await desk.case("TC-1")).sla.running(SlaClock.NEXT_RESPONSE)
    assert carried is not None
    assert carried.deadline == T0 + timedelta(seconds=60)
    assert timers_of(desk, "TC-1").count((SlaClock.NEXT_RESPONSE, TimerKind.BREACH)) == 1


async def test_a_merge_redelivered_on_the_bus_carries_the_wait_once(desk: SlaDesk) -> None:
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=10))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))
    await desk.open("TC-2")
    generation = (await desk.case("TC-1")).sla.generation
    desk.clock.advance(timedelta(seconds=10))
    merged = events.TicketMerged(
        ticket_id="TC-2", into_ticket_id="TC-1", by="agent-1", merged_at=desk.clock.now()
    )
    bus = make_bus("routing")
    register_sla_subscribers(bus, desk.router)
    async with TestRabbitBroker(bus.broker) as broker:
        for _ in range(2):
            await broker.publish(
                body(merged, "merged-1"), exchange=bus.events_exchange, routing_key="ticket.merged"
            )
            desk.clock.advance(timedelta(seconds=10))

    survivor = await desk.case("TC-1")
    carried = survivor.sla.running(SlaClock.NEXT_RESPONSE)
    assert carried is not None
    assert carried.generation == generation + 1 == survivor.sla.generation


def _merged(duplicate_breached: bool) -> CaseSla:
    """The survivor, answered, after a merge carried the duplicate's first response (started
    at T0, target 1 min) at T0 + 90 s, breached there or not."""
    duplicate, survivor = CaseSla(), CaseSla()
    duplicate.start_run(DEFAULT_SLA, Priority.NORMAL, Tier.NEW, T0, respond=True)
    survivor.start_run(DEFAULT_SLA, Priority.NORMAL, Tier.NEW, T0, respond=True)
    survivor.responded(T0 + timedelta(seconds=5))
    duplicate.clocks[SlaClock.FIRST_RESPONSE].breached = duplicate_breached  # as a breach marks
    merged_at = T0 + timedelta(seconds=90)
    duplicate.closed(merged_at)
    owed = duplicate.owed_at(merged_at)
    assert owed is not None
    assert survivor.carry(owed, "TC-2", merged_at)
    return survivor


@pytest.mark.parametrize("breached", [True, False])
def test_the_carried_clocks_stop_names_the_duplicates_wait_and_whether_it_had_missed(
    breached: bool,
) -> None:
    """One wait on two tickets: the survivor's ``sla.stopped`` says it is the duplicate's,
    and whether the duplicate's own stop at the merge already counted it missed."""
    survivor = _merged(breached)
    survivor.responded(T0 + timedelta(seconds=100))
    run = survivor.clocks[SlaClock.NEXT_RESPONSE]
    event = run.stopped_event("TC-1", "other", case_priority=Priority.NORMAL)

    assert event.carried_from == events.CarriedClock(
        ticket_id="TC-2", clock=SlaClock.FIRST_RESPONSE, missed=breached
    )
    own = survivor.clocks[SlaClock.FIRST_RESPONSE]
    assert own.stopped_event("TC-1", "other", case_priority=Priority.NORMAL).carried_from is None


async def test_a_carried_clocks_breach_on_the_survivor_names_the_duplicates_wait(
    desk: SlaDesk,
) -> None:
    await desk.open("TC-1")
    desk.clock.advance(timedelta(seconds=10))
    await desk.router.ticket_replied(envelope(reply(desk, "TC-1")))
    await desk.open("TC-2")
    desk.clock.advance(timedelta(seconds=20))
    await merge(desk, "TC-2", "TC-1", merged_first=True)
    desk.clock.advance(timedelta(seconds=60))
    await desk.router.fire(desk.timer(SlaClock.NEXT_RESPONSE, TimerKind.BREACH))

    (breach,) = desk.published("sla.breached")
    assert breach["ticket_id"] == "TC-1"
    assert breach["carried_from"] == {
        "ticket_id": "TC-2",
        "clock": "first_response",
        "missed": False,
    }
