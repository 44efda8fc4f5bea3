"""SLA timers against whatever MONGO_URL serves (nx-27017 by default): exactly the
operations the scheduler relies on — upserts with string ids, millisecond due times,
exclusive leases between two owners, conditional deletes, release."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from contracts import events
from contracts.events import CategoryConfidence, Priority
from runtime.clock import epoch_ms
from runtime.store import Document
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.queues import DEFAULT_QUEUES, Rule
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import Route
from services.routing.domain.triage_view import TriageView
from services.routing.sla.domain import PriorityTerms, SlaPolicy, Targets
from services.routing.sla.store import SlaStore, ensure_indexes
from tests.integration.scratch import scratch_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
TERMS = PriorityTerms(
    targets=Targets(first_response_s=1, next_response_s=1, resolution_s=2, supplier_s=2),
    warn_share=0.5,
)


@pytest.fixture
async def sla(mongo: AsyncMongoClient[Document]) -> AsyncIterator[SlaStore]:
    async with scratch_database(mongo, "sla", ensure_indexes) as db:
        yield SlaStore(db)


def case(n: int, start: datetime = NOW) -> RoutingCase:
    """An open case whose clocks started at ``start``: warnings at 0.5 s and 1 s, breaches
    at 1 s and 2 s."""
    opened = RoutingCase.blank("acme", f"TC-{n}")
    opened.take_opening(
        events.TicketOpened(
            ticket_id=opened.id,
            channel=events.Channel.IN_APP,
            traveller=events.Traveller(id="t"),
            text="x",
            opened_at=start,
        ),
        TriageView(
            language="en",
            category="invoice",
            category_confidence=0.9,
            urgency="normal",
            sentiment="neutral",
            sentiment_confidence=0.9,
            top_categories=[CategoryConfidence(category="invoice", confidence=0.9)],
            model_version="t",
        ),
    )
    policy = SlaPolicy(priorities=dict.fromkeys(Priority, TERMS))
    route = Route(
        DEFAULT_QUEUES[0], Rule.CATEGORY, Assignment(None, "-"), Priority.NORMAL, "", None, policy
    )
    opened.route(route, start, start)
    return opened


async def test_timers_are_written_once_and_moved_and_pruned_with_the_case(sla: SlaStore) -> None:
    ticket = case(1)
    await sla.schedule(ticket)
    await sla.schedule(ticket)
    stored = {d["_id"]: d async for d in sla.timers.find({})}
    assert len(stored) == 4
    assert stored["acme:TC-1:first_response:breach"]["due_ms"] == epoch_ms(NOW) + 1000

    ticket.sla.wait(True, Priority.NORMAL, NOW + timedelta(milliseconds=300))
    await sla.prune(await sla.schedule(ticket))
    left = sorted([d["_id"] async for d in sla.timers.find({})])
    assert left == ["acme:TC-1:supplier:breach", "acme:TC-1:supplier:warn"]


async def test_a_fresh_case_writes_its_timers_without_reading_any(
    sla: SlaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = case(1)
    reads: list[object] = []
    find = sla.timers.find

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return find(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(sla.timers, "find", counted)
        assert await sla.schedule(ticket, fresh=True) == []
    assert reads == []
    stored = {d["_id"]: d async for d in sla.timers.find({})}
    assert len(stored) == 4
    assert await sla.schedule(ticket) == []


async def test_two_owners_never_lease_the_same_timer(sla: SlaStore) -> None:
    for n in range(40):
        await sla.schedule(case(n))
    now_ms = epoch_ms(NOW) + 1000  # the warnings and first-response breaches are due
    one, two = await asyncio.gather(
        sla.claim("one", now_ms, 10_000, 50), sla.claim("two", now_ms, 10_000, 50)
    )
    rest = await sla.claim("three", now_ms, 10_000, 200)
    ids = [t.id for t in one + two + rest]
    assert len(ids) == len(set(ids)) == 120
    assert all(t.due_ms <= now_ms for t in one + two + rest)
    assert await sla.claim("four", now_ms, 10_000, 200) == []


async def test_a_fired_batch_is_deleted_unless_rewritten_since(sla: SlaStore) -> None:
    await sla.schedule(case(1))
    await sla.schedule(case(2))
    now_ms = epoch_ms(NOW) + 2000
    claimed = await sla.claim("one", now_ms, 10_000, 10)
    assert len(claimed) == 8
    assert await sla.next_due_ms(now_ms) is None  # all leased

    await sla.schedule(case(2, NOW + timedelta(minutes=1)))  # a new run of ticket 2
    await sla.fired(claimed)
    left = {d["_id"]: d async for d in sla.timers.find({})}
    assert sorted(left) == [
        "acme:TC-2:first_response:breach",
        "acme:TC-2:first_response:warn",
        "acme:TC-2:resolution:breach",
        "acme:TC-2:resolution:warn",
    ]
    assert {d["lease_owner"] for d in left.values()} == {""}


async def test_a_released_lease_is_free_at_once(sla: SlaStore) -> None:
    await sla.schedule(case(1))
    now_ms = epoch_ms(NOW) + 600
    (warning,) = await sla.claim("one", now_ms, 60_000, 10)
    assert await sla.claim("two", now_ms, 60_000, 10) == []
    await sla.release("one")
    assert [t.id for t in await sla.claim("two", now_ms, 60_000, 10)] == [warning.id]
