"""A partner's event about a trip long over tells nobody: a month-old cancellation used to
open a critical ticket (5-minute first response) and tell the traveller an agent was
already rebooking a flight they had taken, or missed, weeks before."""

from __future__ import annotations

from datetime import date, timedelta

from services.routing.care.domain.incidents import over
from services.routing.care.store import AFFECTED, INCIDENTS
from tests.factories import T0
from tests.unit.test_supplier_care import Care, body, run_disruption


async def test_an_event_about_a_month_old_flight_tells_nobody() -> None:
    desk = Care()
    await desk.book("acme", 2, hours=-24 * 30)
    past = (T0 - timedelta(days=30)).date().isoformat()

    await run_disruption(desk, body(service_date=past))

    assert desk.published("proactive.contact") == []
    assert not desk.db[AFFECTED].docs
    assert not desk.db[INCIDENTS].docs


async def test_a_flight_of_yesterday_is_still_told() -> None:
    desk = Care()
    await desk.book("acme", 1, hours=-20)

    await run_disruption(desk, body(service_date=(T0 - timedelta(hours=20)).date().isoformat()))

    assert len(desk.published("proactive.contact")) == 1


def test_a_disruption_is_over_two_days_after_its_service_date() -> None:
    assert not over(date(2026, 11, 23), T0)  # T0 is 2026-11-25T02:00Z
    assert over(date(2026, 11, 22), T0)
