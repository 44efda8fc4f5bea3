"""Supplier reports delivered out of order: one observed before the state a disruption
holds is history, not news. A late "delayed 45 min" used to overwrite "cancelled" and
tell every traveller their flight was only delayed and nothing was needed from them."""

from __future__ import annotations

from datetime import timedelta

from services.routing.care.store import DISRUPTIONS
from tests.factories import T0
from tests.unit.test_supplier_care import Care, body, run_disruption


def at(delta: timedelta) -> str:
    return (T0 + delta).isoformat()


async def test_a_report_observed_before_the_last_one_tells_nobody_and_changes_nothing() -> None:
    desk = Care()
    await desk.book("acme", 3)
    await run_disruption(desk, body(event_id="ev-cancel", reported_at=at(timedelta(0))))
    late = body(
        event_id="ev-delay",
        kind="flight_delayed",
        details={"delay_minutes": "45"},
        reported_at=at(-timedelta(hours=1)),
    )
    await run_disruption(desk, late, at=1)

    told = desk.published("proactive.contact")
    assert {r.payload.kind for r in told} == {"flight_cancelled"}
    assert len(told) == 3
    [disruption] = desk.db[DISRUPTIONS].docs.values()
    assert (disruption["kind"], disruption["revision"], disruption["reports"]) == (
        "flight_cancelled",
        1,
        2,
    )


async def test_a_report_stamped_ahead_of_the_clock_does_not_lock_out_later_ones() -> None:
    desk = Care()
    await desk.book("acme", 1)
    ahead = body(event_id="ev-delay", kind="flight_delayed", reported_at=at(timedelta(days=30)))
    await run_disruption(desk, ahead)
    desk.clock.advance(timedelta(minutes=10))
    await run_disruption(desk, body(event_id="ev-cancel"), at=600)

    assert [r.payload.kind for r in desk.published("proactive.contact")] == [
        "flight_delayed",
        "flight_cancelled",
    ]
