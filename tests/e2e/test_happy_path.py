"""The walking skeleton's happy path, driven only through the services' HTTP APIs.

contact → ticket opened and acknowledged → routed → both notices in the inbox →
agent resolves → survey in the inbox → rating → metrics and a complete timeline.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
ACME = {"X-Tenant-Id": "acme"}


def contact(**overrides: Any) -> dict[str, Any]:
    return {
        "tenant_id": "acme",
        "channel": "in_app",
        "channel_message_id": "app-msg-1001",
        "traveller": {"id": "trav-42", "name": "Li Lei", "language": "zh-Hans"},
        "text": "我的航班CA1501被取消了，需要改签",
        **overrides,
    }


async def test_contact_to_rating_end_to_end(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(f"{stack.url('intake')}/v1/contacts", json=contact())
        assert created.status_code == 201, created.text
        ticket_id = created.json()["ticket_id"]
        assert created.json()["status"] == "acknowledged"

        again = await http.post(f"{stack.url('intake')}/v1/contacts", json=contact())
        assert (again.status_code, again.json()["ticket_id"]) == (200, ticket_id)

        async def inbox_templates() -> list[str]:
            response = await http.get(f"{stack.url('notify')}/v1/inbox/trav-42", headers=ACME)
            return [item["template"] for item in response.json()]

        async def ack_and_routing_notices() -> list[str] | None:
            templates = await inbox_templates()
            return templates if {"ticket_acknowledged", "ticket_routed"} <= set(templates) else None

        notices = await until(ack_and_routing_notices)
        assert sorted(notices) == ["ticket_acknowledged", "ticket_routed"]
        inbox = (await http.get(f"{stack.url('notify')}/v1/inbox/trav-42", headers=ACME)).json()
        read = await http.post(
            f"{stack.url('notify')}/v1/inbox/trav-42/{inbox[0]['id']}/read", headers=ACME
        )
        assert read.json()["read_at"] is not None

        async def routed_ticket() -> dict[str, Any] | None:
            ticket = (
                await http.get(f"{stack.url('intake')}/v1/tickets/{ticket_id}", headers=ACME)
            ).json()
            return ticket if ticket["status"] == "routed" else None

        ticket = await until(routed_ticket)
        assert ticket["queue"] == "general"
        assert ticket["first_response_due"] is not None

        resolved = await http.post(
            f"{stack.url('intake')}/v1/tickets/{ticket_id}/resolve",
            headers=ACME,
            json={
                "resolution_code": "rebooked",
                "message": "已为您改签至CA1503",
                "agent_id": "agent-7",
            },
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "resolved"

        async def survey_link() -> str | None:
            response = await http.get(f"{stack.url('notify')}/v1/inbox/trav-42", headers=ACME)
            return next((i["link"] for i in response.json() if i["template"] == "survey"), None)

        link = await until(survey_link)
        rated = await http.post(link, json={"csat": 5, "comment": "很快，谢谢"})
        assert rated.status_code == 200, rated.text
        twice = await http.post(link, json={"csat": 1})
        assert twice.status_code == 409

        async def rated_metrics() -> dict[str, Any] | None:
            metrics = (
                await http.get(f"{stack.url('feedback')}/v1/metrics", params={"tenant": "acme"})
            ).json()
            return metrics if metrics["csat"]["count"] == 1 else None

        metrics = await until(rated_metrics)
        assert metrics["tickets"] == 1
        assert metrics["resolved"] == 1
        assert metrics["csat"]["avg"] == 5.0
        assert metrics["first_response_time_s"]["count"] == 1
        assert metrics["resolution_time_s"]["count"] == 1

        async def full_timeline() -> list[str] | None:
            ticket = (
                await http.get(f"{stack.url('intake')}/v1/tickets/{ticket_id}", headers=ACME)
            ).json()
            kinds = [entry["kind"] for entry in ticket["timeline"]]
            return kinds if "rated" in kinds and kinds.count("notified") == 4 else None

        kinds = await until(full_timeline)
        for step in ("received", "acknowledged", "routed", "resolved", "survey_sent", "rated"):
            assert step in kinds
        assert kinds.index("received") < kinds.index("routed") < kinds.index("resolved")

        tracking = await http.get(created.json()["tracking_url"])
        assert tracking.status_code == 200
        assert tracking.json()["status"] == "resolved"


async def test_bad_input_answers_422_naming_the_field_and_writes_nothing(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        bad = await http.post(
            f"{stack.url('intake')}/v1/contacts",
            json=contact(channel="carrier-pigeon", channel_message_id="bad-1"),
        )
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "channel"]

        empty = await http.post(
            f"{stack.url('intake')}/v1/contacts", json=contact(text="", channel_message_id="bad-2")
        )
        assert empty.status_code == 422
        assert empty.json()["detail"][0]["loc"] == ["body", "text"]

        rating = await http.post(
            f"{stack.url('feedback')}/v1/surveys/forged.token", json={"csat": 9}
        )
        assert rating.status_code == 422
        assert rating.json()["detail"][0]["loc"] == ["body", "csat"]

        inbox = await http.get(f"{stack.url('notify')}/v1/inbox/trav-42", headers=ACME)
        assert inbox.json() == []


async def test_another_tenants_ticket_is_not_found(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(
            f"{stack.url('intake')}/v1/contacts", json=contact(channel_message_id="x-1")
        )
        ticket_id = created.json()["ticket_id"]
        globex = {"X-Tenant-Id": "globex"}

        seen = await http.get(f"{stack.url('intake')}/v1/tickets/{ticket_id}", headers=globex)
        resolve = await http.post(
            f"{stack.url('intake')}/v1/tickets/{ticket_id}/resolve",
            headers=globex,
            json={"resolution_code": "x", "message": "x", "agent_id": "a"},
        )
        case = await http.get(f"{stack.url('routing')}/v1/cases/{ticket_id}", headers=globex)

        assert (seen.status_code, resolve.status_code, case.status_code) == (404, 404, 404)
        forged = await http.get(
            f"{stack.url('intake')}/v1/track/{created.json()['tracking_url'][-20:]}"
        )
        assert forged.status_code == 404
