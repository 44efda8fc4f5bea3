"""Deadlines in notices are shown in the reader's time zone when it is known, else in the
tenant's business time zone (its SLA calendar's, carried on the event), else in UTC —
always with the offset, in the reader's language.

A Japanese traveller of a tenant whose SLA calendar is Asia/Tokyo was told "you can expect
an answer by 2026-11-26 05:30 UTC".
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from contracts import events
from contracts.events import Priority, SlaClock, Traveller
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role
from services.notify.render import Renderer
from services.routing.sla.domain import BusinessHours, Calendar, PriorityTerms, SlaPolicy, TimerKind
from services.routing.sla.store import SLA_POLICIES, TenantSlaPolicy
from tests.factories import T0
from tests.unit.test_notify import routed
from tests.unit.test_sla_case import TERMS, SlaDesk

AIKO = Traveller(id="trav-1", name="Aiko", language="ja")
TOKYO = "Asia/Tokyo"
NO_STAFF = Directory()


def bodies(event: events.Event, directory: Directory = NO_STAFF) -> dict[Role, str]:
    notices = notices_for(event, "acme", directory)
    return {n.role: Renderer().render(n).body for n in notices}


def in_tokyo(traveller: Traveller = AIKO, **changes: object) -> events.TicketRouted:
    event = routed(assignee="agent-7").model_copy(
        update={"traveller": traveller, "time_zone": TOKYO, **changes}
    )
    return events.TicketRouted.model_validate(event.model_dump())


@pytest.mark.parametrize(
    ("language", "due"),
    [
        ("ja", "2026年11月25日 11:30（UTC+09:00）までにご回答する予定です"),
        ("zh-Hans", "预计在 2026年11月25日 11:30（UTC+09:00） 前答复您"),
        ("zh-Hant", "預計於 2026年11月25日 11:30（UTC+09:00） 前回覆您"),
        ("en", "You can expect an answer by 25 Nov 2026, 11:30 (UTC+09:00)."),
    ],
)
def test_the_traveller_reads_the_deadline_in_the_tenants_business_zone(
    language: str, due: str
) -> None:
    traveller = AIKO.model_copy(update={"language": language})
    body = bodies(in_tokyo(traveller))[Role.TRAVELLER]

    assert due in body
    assert "02:30" not in body


def test_the_travellers_own_zone_comes_before_the_business_zone() -> None:
    abroad = Traveller(id="trav-1", language="en", time_zone="Europe/Berlin")

    body = bodies(in_tokyo(abroad))[Role.TRAVELLER]

    assert "You can expect an answer by 25 Nov 2026, 03:30 (UTC+01:00)." in body


def test_without_any_zone_the_deadline_is_utc_and_says_so() -> None:
    body = bodies(routed())[Role.TRAVELLER]
    assert "2026年11月25日 02:30（UTC）" in body


def test_staff_read_deadlines_in_their_own_zone_else_the_business_zone() -> None:
    shanghai = Traveller(id="agent-7", language="en", time_zone="Asia/Shanghai")
    told = bodies(in_tokyo(), Directory(agents={"agent-7": shanghai}))
    warned = events.SlaWarning(
        ticket_id="TC-1",
        clock=SlaClock.FIRST_RESPONSE,
        priority=Priority.HIGH,
        assignee="agent-8",
        deadline=T0 + timedelta(minutes=6),
        target_seconds=1800,
        warned_at=T0,
        time_zone=TOKYO,
    )

    assert "First response due by 25 Nov 2026, 10:30 (UTC+08:00)." in told[Role.AGENT]
    assert "by 25 Nov 2026, 11:06 (UTC+09:00), 6 minutes from now" in bodies(warned)[Role.AGENT]


def test_a_zone_the_tz_database_does_not_know_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Traveller(id="trav-1", time_zone="Asia/Tokio")
    assert Traveller(id="trav-1").time_zone is None, "older events stay valid"


async def test_routing_carries_the_sla_calendars_zone_on_its_events() -> None:
    desk = SlaDesk()
    await desk.setup()
    hours = Calendar(business_hours=BusinessHours(time_zone=TOKYO, days=(1, 2, 3, 4, 5, 6, 7)))
    terms = PriorityTerms(targets=TERMS.targets, calendar=hours, warn_share=0.5)
    stored = TenantSlaPolicy(
        id="acme", tenant_id="acme", policy=SlaPolicy(priorities=dict.fromkeys(Priority, terms))
    )
    await desk.db[SLA_POLICIES].replace_one(
        {"_id": "acme"}, stored.model_dump(by_alias=True), upsert=True
    )
    await desk.open()

    (event,) = desk.published("ticket.routed")
    assert event["time_zone"] == TOKYO


async def test_after_a_breach_raised_the_priority_deadlines_keep_their_clocks_zone() -> None:
    """Normal runs on Tokyo business hours, high around the clock: a breach raises the
    ticket to high while its clocks still count on normal's calendar (docs/sla.md), so the
    breach and the re-route name Tokyo, not UTC (high's calendar has no zone)."""
    desk = SlaDesk()
    await desk.setup()
    tokyo = Calendar(business_hours=BusinessHours(time_zone=TOKYO, days=(1, 2, 3, 4, 5, 6, 7)))
    terms = dict.fromkeys(Priority, TERMS) | {
        Priority.NORMAL: PriorityTerms(targets=TERMS.targets, calendar=tokyo, warn_share=0.5)
    }
    stored = TenantSlaPolicy(id="acme", tenant_id="acme", policy=SlaPolicy(priorities=terms))
    await desk.db[SLA_POLICIES].replace_one(
        {"_id": "acme"}, stored.model_dump(by_alias=True), upsert=True
    )
    await desk.open()
    (opened,) = desk.published("ticket.routed")
    assert (opened["priority"], opened["time_zone"]) == ("normal", TOKYO)
    desk.clock.advance(timedelta(days=2))
    await desk.router.fire(desk.timer(SlaClock.FIRST_RESPONSE, TimerKind.BREACH))

    (breach,) = desk.published("sla.breached")
    assert (breach["priority"], breach["clock_priority"]) == ("high", "normal")
    assert breach["time_zone"] == TOKYO
    rerouted = desk.published("ticket.routed")[-1]
    assert (rerouted["priority"], rerouted["time_zone"]) == ("high", TOKYO)
