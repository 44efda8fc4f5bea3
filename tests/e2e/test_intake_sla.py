"""Routing's SLA warning and breach, published on the bus, show on intake's ticket over HTTP (#7).

Intake runs as its own process; the test plays routing by publishing
``sla.warning`` and ``sla.breached`` (the breach twice, as a redelivery would).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import events
from contracts.events import EscalationLevel, Priority, SlaClock
from services.intake.domain.sla import due_text
from tests.conftest import Stack
from tests.polling import until
from tests.publishing import publish

pytestmark = pytest.mark.e2e


async def test_warning_and_breach_reach_the_timeline_once_and_raise_the_priority(
    intake_only: Stack, amqp_url: str
) -> None:
    tenant = "ten" + uuid.uuid4().hex[:8]
    namespace = intake_only.env["TRIPCARE_NAMESPACE"]
    agent = Stack.token("agent-7", tenants=(tenant,))
    base = f"{intake_only.url('intake')}/v1"
    async with httpx.AsyncClient(timeout=10) as http:
        gateway = await intake_only.api_key(http, tenant)
        created = await http.post(
            f"{base}/contacts",
            headers=gateway,
            json={
                "channel": "web_chat",
                "channel_message_id": "sla-1",
                "traveller": {"id": "trav-1", "language": "en"},
                "text": "My flight CA1501 is cancelled",
            },
        )
        assert created.status_code == 201, created.text
        ticket_id = created.json()["ticket_id"]
        now = datetime.now(UTC).replace(microsecond=0)
        deadline = now + timedelta(minutes=5)
        warning = events.SlaWarning(
            ticket_id=ticket_id,
            clock=SlaClock.FIRST_RESPONSE,
            priority=Priority.NORMAL,
            deadline=deadline,
            target_seconds=1_800,
            warned_at=now,
        )
        breach = events.SlaBreached(
            ticket_id=ticket_id,
            clock=SlaClock.FIRST_RESPONSE,
            priority=Priority.CRITICAL,
            previous_priority=Priority.NORMAL,
            queue="expert",
            level=EscalationLevel.EXPERT_TEAM,
            deadline=deadline,
            breached_at=deadline,
        )
        await publish(amqp_url, namespace, tenant, ("w-1", warning), ("b-1", breach))

        async def timeline_with(count: int) -> dict[str, Any] | None:
            ticket = (await http.get(f"{base}/tickets/{ticket_id}", headers=agent)).json()
            kinds = [entry["kind"] for entry in ticket["timeline"]]
            seen = "sla_warning" in kinds and kinds.count("sla_breached") >= count
            return ticket if seen else None

        ticket = await until(lambda: timeline_with(1))
        assert (ticket["priority"], ticket["queue"], ticket["status"]) == (
            "critical",
            "expert",
            "routed",
        )
        summaries = {e["kind"]: e["summary"] for e in ticket["timeline"]}
        assert (
            summaries["sla_warning"] == f"First response SLA warning: due {due_text(deadline, now)}"
        )
        assert summaries["sla_breached"] == (
            "First response SLA breached: escalated to the expert team (expert), "
            "priority raised to critical"
        )

        # The redelivered breach, then the next escalation: same queue, so handled in order.
        management = breach.model_copy(
            update={
                "level": EscalationLevel.MANAGEMENT,
                "breached_at": deadline + timedelta(minutes=10),
            }
        )
        await publish(amqp_url, namespace, tenant, ("b-1", breach), ("b-2", management))
        ticket = await until(lambda: timeline_with(2))
        breaches = [e["summary"] for e in ticket["timeline"] if e["kind"] == "sla_breached"]
        assert [s.split(": ")[1].split(" (")[0] for s in breaches] == [
            "escalated to the expert team",
            "escalated to management",
        ]

        tracked = (await http.get(created.json()["tracking_url"])).json()
        assert tracked["handled_by"] == "Our senior specialist team"
        assert "sla_breached" not in {e["kind"] for e in tracked["timeline"]}, "desk-only alarms"
