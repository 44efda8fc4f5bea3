"""The desk a real team relies on (issue #18), driven over HTTP against the four services:
a breached ticket keeps its owner (the tenant's only expert), who and whose manager are told
by name; a waiting ticket is pushed to an agent the moment they have room."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.taxonomy import CATEGORIES
from runtime.webhook_signature import HEADER, sign
from tests.conftest import Stack, delete_namespace
from tests.polling import until

pytestmark = pytest.mark.e2e
INVOICE = "I was charged twice on my invoice for order {n}, please refund the duplicate payment"
ENV_SECRET = "demo-air-bootstrap-secret-0123"
OPERATOR = Stack.token("ops-1", "admin", ("tripcare",))


@pytest.fixture(scope="module")
async def desk(
    amqp_url: str, mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """The four services, shared by this module's tests (each uses its own tenant)."""
    name = "t" + uuid.uuid4().hex[:12]
    running = Stack(amqp_url, mongo_url, name, Path(tmp_path_factory.mktemp("desk")))
    running.env["TRIPCARE_SUPPLIER_PARTNERS"] = json.dumps({"demo-air": {"secrets": [ENV_SECRET]}})
    running.start_all()
    try:
        yield running
    finally:
        running.stop_all()
        await delete_namespace(amqp_url, name)


class Tenant:
    def __init__(self, stack: Stack, http: httpx.AsyncClient) -> None:
        self.id = "ten" + uuid.uuid4().hex[:8]
        self.stack, self.http = stack, http
        self.admin = Stack.token("ops", "admin", (self.id,))
        self.staff = Stack.token("agent-x", tenants=(self.id,))
        self.gateway: dict[str, str] = {}

    async def setup(self, **policy: Any) -> None:
        self.gateway = await self.stack.api_key(self.http, self.id)
        answer = await self.http.put(
            f"{self.stack.url('routing')}/v1/policy",
            json={"bot_enabled": False, **policy},
            headers=self.admin,
        )
        assert answer.status_code == 200, answer.text

    async def agent(self, agent_id: str, **body: Any) -> dict[str, Any]:
        answer = await self.http.put(
            f"{self.stack.url('routing')}/v1/agents/{agent_id}",
            json={"languages": ["en"], "categories": list(CATEGORIES), **body},
            headers=self.admin,
        )
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    async def contact(self, n: int) -> str:
        created = await self.http.post(
            f"{self.stack.url('intake')}/v1/contacts",
            headers=self.gateway,
            json={
                "channel": "in_app",
                "channel_message_id": f"msg-{n}",
                "traveller": {"id": f"trav-{n}", "language": "en"},
                "text": INVOICE.format(n=5500 + n),
            },
        )
        assert created.status_code == 201, created.text
        return str(created.json()["ticket_id"])

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        url = f"{self.stack.url('intake')}/v1/tickets/{ticket_id}"
        return dict((await self.http.get(url, headers=self.staff)).json())

    async def routed(self, ticket_id: str, assignee: str | None) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            ticket = await self.ticket(ticket_id)
            routed = ticket["queue"] is not None and ticket["assignee"] == assignee
            return ticket if routed else None

        return await until(probe, timeout_s=20)


async def test_a_breach_keeps_the_only_expert_on_the_ticket_and_tells_them_and_their_manager(
    desk: Stack,
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        tenant = Tenant(desk, http)
        await tenant.setup(support_manager="sm-1")
        two_seconds = {"first_response_s": 2, "next_response_s": 4, "resolution_s": 60}
        terms = {"targets": {**two_seconds, "supplier_s": 60}}
        answer = await http.put(
            f"{desk.url('routing')}/v1/sla-policies",
            json={"priorities": dict.fromkeys(("low", "normal", "high", "critical"), terms)},
            headers=tenant.admin,
        )
        assert answer.status_code == 200, answer.text
        await tenant.agent("expert-1", expert=True, capacity=1, presence="online")
        ticket_id = await tenant.contact(1)
        await tenant.routed(ticket_id, "expert-1")

        async def breached() -> dict[str, Any] | None:
            ticket = await tenant.ticket(ticket_id)
            kinds = [e["kind"] for e in ticket["timeline"]]
            return ticket if "sla_breached" in kinds else None

        ticket = await until(breached, timeout_s=20)
        assert (ticket["assignee"], ticket["queue"]) == ("expert-1", "expert")
        expert = (
            await http.get(f"{desk.url('routing')}/v1/agents/expert-1", headers=tenant.staff)
        ).json()
        assert expert["tickets"] == [ticket_id], "the expert's slot is not freed"

        async def told() -> set[tuple[str, str]] | None:
            log = await http.get(
                f"{desk.url('notify')}/v1/notifications",
                params={"ticket_id": ticket_id},
                headers=tenant.staff,
            )
            sent = {(d["recipient"], d["template"]) for d in log.json()["items"]}
            wanted = {("expert-1", "sla_breached"), ("sm-1", "sla_breached_management")}
            return sent if wanted <= sent else None

        sent = await until(told)
        assert not any(recipient.startswith("team:") for recipient, _ in sent)


async def test_a_freed_agent_receives_the_waiting_ticket_within_seconds(desk: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        tenant = Tenant(desk, http)
        await tenant.setup()
        await tenant.agent("agent-1", capacity=1, presence="online")
        first = await tenant.contact(1)
        await tenant.routed(first, "agent-1")
        second = await tenant.contact(2)
        await tenant.routed(second, None)

        resolved = await http.post(
            f"{desk.url('intake')}/v1/tickets/{first}/resolve",
            json={"resolution_code": "refunded", "message": "Refunded the duplicate."},
            headers=Stack.token("agent-1", tenants=(tenant.id,)),
        )
        assert resolved.status_code == 200, resolved.text
        pushed = await tenant.routed(second, "agent-1")
        assert pushed["status"] == "assigned"

        third = await tenant.contact(3)
        await tenant.routed(third, None)
        await tenant.agent("agent-1", capacity=2)  # a manager raises the capacity
        await tenant.routed(third, "agent-1")

        await tenant.agent("agent-1", capacity=3, presence="away")
        fourth = await tenant.contact(4)
        await tenant.routed(fourth, None)
        online = await http.put(
            f"{desk.url('routing')}/v1/agents/agent-1/presence",
            json={"presence": "online"},
            headers=Stack.token("agent-1", tenants=(tenant.id,)),
        )
        assert online.status_code == 200, online.text
        await tenant.routed(fourth, "agent-1")

        async def agent_told() -> list[str] | None:
            inbox = await http.get(f"{desk.url('notify')}/v1/inbox/agent-1", headers=tenant.staff)
            tickets = [d["ticket_id"] for d in inbox.json() if d["template"] == "ticket_assigned"]
            return tickets if {second, third, fourth} <= set(tickets) else None

        await until(agent_told)
        inbox = await http.get(f"{desk.url('notify')}/v1/inbox/trav-2", headers=tenant.staff)
        routed_notices = [d for d in inbox.json() if d["template"] == "ticket_routed"]
        assert len(routed_notices) == 1, "the push does not tell the traveller again"


async def test_an_agents_reply_to_a_waiting_ticket_keeps_it_theirs_when_another_comes_online(
    desk: Stack,
) -> None:
    """QA's repro: agent-7 answered a ticket waiting in its queue (intake: "assigned
    agent-7"), routing kept it waiting with nobody, and push assignment gave it to agent-8
    the moment they came online ("Assigned to agent-8" on the timeline)."""
    async with httpx.AsyncClient(timeout=10) as http:
        tenant = Tenant(desk, http)
        await tenant.setup()
        await tenant.agent("agent-7", capacity=1, presence="away")
        ticket_id = await tenant.contact(1)
        await tenant.routed(ticket_id, None)

        agent_7 = Stack.token("agent-7", tenants=(tenant.id,))
        replied = await http.post(
            f"{desk.url('intake')}/v1/tickets/{ticket_id}/reply",
            json={"message": "Looking into the duplicate charge now."},
            headers=agent_7,
        )
        assert replied.status_code == 200, replied.text
        assert (await tenant.ticket(ticket_id))["assignee"] == "agent-7"

        async def held() -> dict[str, Any] | None:
            url = f"{desk.url('routing')}/v1/cases/{ticket_id}"
            case = (await http.get(url, headers=tenant.staff)).json()
            return case if case["assignee"] == "agent-7" else None

        await until(held, timeout_s=10)
        url = f"{desk.url('routing')}/v1/agents/agent-7"
        assert (await http.get(url, headers=tenant.staff)).json()["tickets"] == [ticket_id]

        await tenant.agent("agent-8", capacity=2, presence="online")
        second = await tenant.contact(2)
        await tenant.routed(second, "agent-8")  # dispatch and routing have looked since
        ticket = await tenant.ticket(ticket_id)
        assert ticket["assignee"] == "agent-7"
        assert not any("agent-8" in step["summary"] for step in ticket["timeline"])


async def supplier_event(
    http: httpx.AsyncClient, stack: Stack, secret: str, event_id: str, day: str
) -> httpx.Response:
    body = json.dumps(
        {
            "event_id": event_id,
            "kind": "flight_cancelled",
            "reference": "CA1501",
            "service_date": day,
        }
    ).encode()
    return await http.post(
        f"{stack.url('routing')}/v1/suppliers/demo-air/events",
        content=body,
        headers={"content-type": "application/json", HEADER: sign(secret, int(time.time()), body)},
    )


async def test_partner_secrets_rotate_without_a_restart_and_bookings_come_over_http(
    desk: Stack,
) -> None:
    routing = f"{desk.url('routing')}/v1"
    async with httpx.AsyncClient(timeout=10) as http:
        tenant = Tenant(desk, http)
        departs = datetime.now(UTC) + timedelta(hours=3)
        day = departs.date().isoformat()
        booking = {
            "traveller": {"id": "trav-b", "language": "en"},
            "channel": "in_app",
            "segments": [
                {
                    "kind": "flight",
                    "reference": "CA 1501",
                    "starts_at": departs.isoformat(),
                    "ends_at": (departs + timedelta(hours=3)).isoformat(),
                }
            ],
            "updated_at": datetime.now(UTC).isoformat(),
        }
        created = await http.put(f"{routing}/bookings/BK-1", json=booking, headers=tenant.admin)
        assert created.status_code == 201, created.text
        again = await http.put(f"{routing}/bookings/BK-1", json=booking, headers=tenant.admin)
        assert again.status_code == 200
        assert created.json()["segments"][0]["reference"] == "CA1501"
        trips = await http.get(
            f"{routing}/trips",
            params={"resource": "flight", "reference": "CA1501", "date": day},
            headers=tenant.staff,
        )
        assert [t["booking_id"] for t in trips.json()] == ["BK-1"]
        bad = await http.put(
            f"{routing}/bookings/BK-2", json={"segments": []}, headers=tenant.admin
        )
        assert bad.status_code == 422

        assert (await supplier_event(http, desk, ENV_SECRET, "e-1", day)).status_code == 202
        refused = await http.post(f"{routing}/partners/demo-air/secrets", headers=tenant.admin)
        assert refused.status_code == 403, "a customer's admin does not manage partners"
        added = await http.post(f"{routing}/partners/demo-air/secrets", headers=OPERATOR)
        assert added.status_code == 201, added.text
        secret = added.json()["secret"]
        full = await http.post(f"{routing}/partners/demo-air/secrets", headers=OPERATOR)
        assert full.status_code == 409

        shown = await http.get(f"{routing}/partners/demo-air", headers=OPERATOR)
        assert [s["id"] for s in shown.json()["secrets"]] == ["env-1", added.json()["id"]]
        assert secret not in shown.text
        assert ENV_SECRET not in shown.text

        accepted = await supplier_event(http, desk, secret, "e-2", day)
        assert accepted.status_code == 202, "the new secret works at once, no restart"
        revoked = await http.delete(f"{routing}/partners/demo-air/secrets/env-1", headers=OPERATOR)
        assert revoked.status_code == 204
        assert (await supplier_event(http, desk, ENV_SECRET, "e-3", day)).status_code == 401

        async def affected() -> list[dict[str, Any]] | None:
            found = (await http.get(f"{routing}/incidents", headers=tenant.staff)).json()
            return found if found and found[0]["affected"] == 1 else None

        (incident,) = await until(affected, timeout_s=20)
        assert incident["reference"] == "CA1501"

        cancelled = await http.delete(f"{routing}/bookings/BK-1", headers=tenant.admin)
        assert cancelled.json()["status"] == "cancelled"
