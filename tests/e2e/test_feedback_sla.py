"""Routing's sla.stopped and sla.breached, sent on the bus, in feedback's metrics over HTTP (#7).

Feedback runs as its own process; the test plays intake and routing by
publishing their events, then reads ``/v1/metrics``, the CSV and the monthly
report as a manager.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts import events
from contracts.events import Channel, EscalationLevel, Priority, SlaClock
from tests.conftest import Stack
from tests.polling import until
from tests.publishing import publish

pytestmark = pytest.mark.e2e
HIGH, CRITICAL = Priority.HIGH, Priority.CRITICAL


@pytest.fixture
def feedback_only(amqp_url: str, mongo_url: str, namespace: str, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(amqp_url, mongo_url, namespace, tmp_path)
    running.start("feedback")
    try:
        yield running
    finally:
        running.stop_all()


def stopped(
    ticket: str, clock: SlaClock, priority: Priority, start: datetime, minutes: int, target: int
) -> events.SlaClockStopped:
    return events.SlaClockStopped(
        ticket_id=ticket,
        clock=clock,
        priority=priority,
        category="flight_disruption",
        met=minutes <= target,
        target_seconds=target * 60,
        elapsed_seconds=minutes * 60,
        started_at=start,
        stopped_at=start + timedelta(minutes=minutes),
    )


def breached(ticket: str, level: EscalationLevel, deadline: datetime) -> events.SlaBreached:
    return events.SlaBreached(
        ticket_id=ticket,
        clock=SlaClock.RESOLUTION,
        priority=CRITICAL,
        previous_priority=HIGH,
        category="flight_disruption",
        level=level,
        deadline=deadline,
        breached_at=deadline + timedelta(minutes=1),
    )


async def test_sla_attainment_and_breaches_by_priority_in_metrics_csv_and_report(
    feedback_only: Stack, amqp_url: str, namespace: str
) -> None:
    tenant = "ten" + uuid.uuid4().hex[:8]
    manager = Stack.token("mgr-1", "manager", (tenant,))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    who = events.Traveller(id="trav-1", language="en")
    opened = [
        events.TicketOpened(
            ticket_id=ticket, channel=Channel.EMAIL, traveller=who, text="help", opened_at=at
        )
        for ticket, at in (("T1", t0), ("T2", t0 + timedelta(minutes=10)))
    ]
    routed = events.TicketRouted(
        ticket_id="T1",
        traveller=who,
        queue="general",
        category="flight_disruption",
        priority=HIGH,
        first_response_due=t0 + timedelta(minutes=15),
        resolution_due=t0 + timedelta(minutes=60),
        reason="test",
        routed_at=t0 + timedelta(minutes=1),
    )
    deadline = t0 + timedelta(minutes=60)
    await publish(
        amqp_url,
        namespace,
        tenant,
        ("o-1", opened[0]),
        ("o-2", opened[1]),
        ("r-1", routed),
        ("s-1", stopped("T1", SlaClock.FIRST_RESPONSE, HIGH, t0, 5, 15)),
        ("s-2", stopped("T1", SlaClock.RESOLUTION, HIGH, t0, 90, 60)),
        ("s-3", stopped("T2", SlaClock.FIRST_RESPONSE, CRITICAL, opened[1].opened_at, 2, 5)),
        ("b-1", breached("T1", EscalationLevel.SENIOR_AGENT, deadline)),
        ("b-2", breached("T1", EscalationLevel.SENIOR_AGENT, deadline)),  # the same breach again
        ("b-3", breached("T1", EscalationLevel.EXPERT_TEAM, deadline)),
    )
    base = f"{feedback_only.url('feedback')}/v1"
    async with httpx.AsyncClient(timeout=10) as http:

        async def settled() -> dict[str, Any] | None:
            response = await http.get(f"{base}/metrics?by=priority", headers=manager)
            body: dict[str, Any] = response.json()
            sla = body["sla"]
            return body if sla["attainment"]["of"] == 3 and sla["breaches"] >= 2 else None

        metrics = await until(settled, 20)
        assert metrics["sla"]["attainment"] == {"part": 2, "of": 3, "rate": 0.6667}
        assert (metrics["sla"]["breaches"], metrics["sla"]["breached_tickets"]) == (2, 1)
        groups = {g["key"]["priority"]: g["metrics"]["sla"] for g in metrics["groups"]}
        assert groups["high"]["resolution"] == {"part": 0, "of": 1, "rate": 0.0}
        assert groups["high"]["breaches"] == 2
        assert groups["critical"]["first_response"] == {"part": 1, "of": 1, "rate": 1.0}

        exported = await http.get(f"{base}/reports/{tenant}.csv?by=priority", headers=manager)
        rows = {r["priority"]: r for r in csv.DictReader(io.StringIO(exported.text))}
        assert (rows["high"]["sla_attainment_rate"], rows["high"]["sla_breaches"]) == ("0.5", "2")

        month = f"{t0:%Y-%m}"
        report = await http.get(f"{base}/reports/{tenant}/{month}.html", headers=manager)
        assert report.status_code == 200
        assert "SLA attainment and breaches" in report.text
        assert "<td>high</td>" in report.text

        wrong = await http.get(f"{base}/metrics?by=prio", headers=manager)
        assert wrong.status_code == 422
        [refused] = wrong.json()["detail"]
        assert (refused["loc"], "priority" in refused["msg"]) == (["query", "by"], True)


async def test_a_shanghai_tenants_days_and_month_run_from_midnight_in_shanghai(
    feedback_only: Stack, amqp_url: str, namespace: str
) -> None:
    """Its SLA calendar in Asia/Shanghai (``time_zone`` on ticket.routed), a ticket opened at
    01:30 on 1 December in Shanghai (17:30 UTC on 30 November) is the 1st's in the CSV's
    daily rows and December's in the monthly report, through the broker and the store."""
    tenant = "ten" + uuid.uuid4().hex[:8]
    manager = Stack.token("mgr-1", "manager", (tenant,))
    t0 = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    who = events.Traveller(id="trav-1", language="zh-Hans")
    opened = events.TicketOpened(
        ticket_id="S1", channel=Channel.WECHAT, traveller=who, text="改签", opened_at=t0
    )
    routed = events.TicketRouted(
        ticket_id="S1",
        traveller=who,
        queue="general",
        category="flight_disruption",
        priority=HIGH,
        first_response_due=t0 + timedelta(minutes=15),
        resolution_due=t0 + timedelta(hours=4),
        reason="test",
        routed_at=t0 + timedelta(minutes=1),
        time_zone="Asia/Shanghai",
    )
    await publish(amqp_url, namespace, tenant, ("o-1", opened), ("r-1", routed))
    base = f"{feedback_only.url('feedback')}/v1"
    window = "from=2026-11-30T00:00:00%2B08:00&to=2026-12-03T00:00:00%2B08:00"
    async with httpx.AsyncClient(timeout=10) as http:

        async def routed_seen() -> bool:
            response = await http.get(f"{base}/metrics?{window}&by=queue", headers=manager)
            return [g["key"]["queue"] for g in response.json()["groups"]] == ["general"]

        await until(routed_seen, 20)
        exported = await http.get(f"{base}/reports/{tenant}.csv?{window}", headers=manager)
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [(r["day"], r["tickets"]) for r in rows] == [("2026-12-01", "1")]

        first = await http.get(f"{base}/metrics?from=2026-12-01&to=2026-12-02", headers=manager)
        since = datetime.fromisoformat(first.json()["from"])
        assert (first.json()["tickets"], since) == (1, datetime(2026, 11, 30, 16, tzinfo=UTC))

        report = await http.get(f"{base}/reports/{tenant}/2026-12.html", headers=manager)
        assert "2026-12-01 00:00 to 2027-01-01 00:00 Asia/Shanghai (UTC+08:00)" in report.text
        november = await http.get(f"{base}/reports/{tenant}/2026-11.html", headers=manager)
        assert "Asia/Shanghai" in november.text
