"""Which supplier reports are news. One observed before the state a disruption holds
(delivered out of order) is history: a late "delayed 45 min" used to overwrite
"cancelled" and tell every traveller nothing was needed from them. And two partners
reporting one disruption number their events each their own way: the second one's "1"
used to be taken for a re-send of the first's, and its cancellation was never told."""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from services.routing.care.store import DISRUPTIONS
from tests.factories import T0, envelope
from tests.unit.test_supplier_care import DAY, Care, body, run_disruption


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


async def test_two_partners_numbering_their_events_alike_are_both_heard() -> None:
    desk = Care()
    await desk.book("acme", 2)
    # the airline's delay, then the airport's cancellation: each partner's event "1"
    await run_disruption(desk, body(event_id="1", kind="flight_delayed"))
    status = events.SupplierStatusChanged(
        partner="pek",
        kind="flight_cancelled",
        reference="CA1501",
        service_date=DAY,
        reported_at=T0 + timedelta(minutes=5),
        event_id="1",
    )
    desk.clock.advance(timedelta(minutes=5))
    await desk.care.supplier_status(envelope(status, tenant="_suppliers"))
    for revised in desk.published("disruption.revised"):
        await desk.care.disruption_revised(revised)

    told = [r.payload.kind for r in desk.published("proactive.contact")]
    assert told.count("flight_cancelled") == 2
