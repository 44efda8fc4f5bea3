"""The walking skeleton's happy path, driven only through the services' HTTP APIs.

contact → ticket opened and acknowledged → routed → both notices in the inbox (read by the
app's gateway with its gateway token) →
agent resolves → survey in the inbox → rating → metrics and a complete timeline.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
AGENT = Stack.token("agent-7")
MANAGER = Stack.token("mgr-1", "manager")


def contact(**overrides: Any) -> dict[str, Any]:
    return {
        "channel": "in_app",
        "channel_message_id": "app-msg-1001",
        "traveller": {"id": "trav-42", "name": "Li Lei", "language": "zh-Hans"},
        "text": "我的航班CA1501被取消了，需要改签",
        **overrides,
    }


async def test_contact_to_rating_end_to_end(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        gateway = await stack.api_key(http, scopes=["contacts:write", "inbox:read"])
        traded = await http.post(f"{stack.url('intake')}/v1/gateway/token", headers=gateway)
        assert traded.status_code == 200, traded.text
        app = {"Authorization": f"Bearer {traded.json()['access_token']}"}
        created = await http.post(
            f"{stack.url('intake')}/v1/contacts", json=contact(), headers=gateway
        )
        assert created.status_code == 201, created.text
        ticket_id = created.json()["ticket_id"]
        assert (created.json()["status"], created.json()["outcome"]) == ("acknowledged", "opened")

        again = await http.post(
            f"{stack.url('intake')}/v1/contacts", json=contact(), headers=gateway
        )
        assert (again.status_code, again.json()["ticket_id"]) == (200, ticket_id)
        assert again.json()["outcome"] == "duplicate"

        async def inbox() -> list[dict[str, Any]]:
            """What the app shows: its gateway reads the inbox with its gateway token."""
            response = await http.get(f"{stack.url('notify')}/v1/inbox/trav-42", headers=app)
            return list(response.json())

        async def ack_and_routing_notices() -> list[str] | None:
            templates = [item["template"] for item in await inbox()]
            return templates if {"ticket_acknowledged", "ticket_routed"} <= set(templates) else None

        notices = await until(ack_and_routing_notices)
        assert sorted(notices) == ["ticket_acknowledged", "ticket_routed"]
        first = (await inbox())[0]
        read = await http.post(
            f"{stack.url('notify')}/v1/inbox/trav-42/{first['id']}/read", headers=app
        )
        assert read.json()["read_at"] is not None
        for service, path in (("intake", f"/v1/tickets/{ticket_id}"), ("routing", "/v1/queues")):
            refused = await http.get(f"{stack.url(service)}{path}", headers=app)
            assert refused.status_code == 401, "a gateway token opens no staff endpoint"

        async def routed_ticket() -> dict[str, Any] | None:
            ticket = (
                await http.get(f"{stack.url('intake')}/v1/tickets/{ticket_id}", headers=AGENT)
            ).json()
            return ticket if ticket["status"] == "routed" else None

        ticket = await until(routed_ticket)
        assert ticket["queue"] == "disruption"  # the classifier read a cancelled flight
        assert ticket["first_response_due"] is not None
        assert ticket["references"] == [{"kind": "flight", "value": "CA1501"}]

        resolved = await http.post(
            f"{stack.url('intake')}/v1/tickets/{ticket_id}/resolve",
            headers=AGENT,
            json={"resolution_code": "rebooked", "message": "已为您改签至CA1503"},
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["status"] == "resolved"

        async def survey_link() -> str | None:
            return next((i["link"] for i in await inbox() if i["template"] == "survey"), None)

        link = await until(survey_link)
        rated = await http.post(link, json={"csat": 5, "comment": "很快，谢谢"})
        assert rated.status_code == 200, rated.text
        twice = await http.post(link, json={"csat": 1})
        assert twice.status_code == 409

        await metrics_count_the_rated_ticket(http, stack)

        async def full_timeline() -> list[str] | None:
            ticket = (
                await http.get(f"{stack.url('intake')}/v1/tickets/{ticket_id}", headers=AGENT)
            ).json()
            kinds = [entry["kind"] for entry in ticket["timeline"]]
            return kinds if "rated" in kinds and kinds.count("notified") == 4 else None

        kinds = await until(full_timeline)
        for step in ("received", "acknowledged", "routed", "resolved", "survey_sent", "rated"):
            assert step in kinds
        assert kinds.index("received") < kinds.index("routed") < kinds.index("resolved")

        await traveller_sees_the_team(http, created.json()["tracking_url"])


async def metrics_count_the_rated_ticket(http: httpx.AsyncClient, stack: Stack) -> None:
    """Feedback's metrics show one ticket, resolved, rated 5, with both times measured."""

    async def rated_metrics() -> dict[str, Any] | None:
        metrics = (await http.get(f"{stack.url('feedback')}/v1/metrics", headers=MANAGER)).json()
        return metrics if metrics["csat"]["count"] == 1 else None

    metrics = await until(rated_metrics)
    assert (metrics["tickets"], metrics["resolved"], metrics["csat"]["avg"]) == (1, 1, 5.0)
    assert metrics["first_response_time_s"]["count"] == 1
    assert metrics["resolution_time_s"]["count"] == 1


async def traveller_sees_the_team(http: httpx.AsyncClient, tracking_url: str) -> None:
    """The tracking page names the team that handled it (never a queue id), in both languages."""
    tracking = await http.get(tracking_url)
    assert tracking.status_code == 200
    tracked = tracking.json()
    assert (tracked["status"], tracked["language"]) == ("resolved", "zh-Hans")
    assert tracked["handled_by"] == "航班异常处理团队"  # the team, not the queue id
    assert tracked["status_text"] == "已解决"
    summaries = [step["summary"] for step in tracked["timeline"]]
    assert "已转交航班异常处理团队" in summaries  # the team, not "disruption 团队"
    assert not [s for s in summaries if "disruption" in s or "Routed" in s]
    english = await http.get(tracking_url, params={"lang": "en"})
    steps = [step["summary"] for step in english.json()["timeline"]]
    assert "Passed to our travel disruption team" in steps


async def test_bad_input_answers_422_naming_the_field_and_writes_nothing(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        gateway = await stack.api_key(http)
        intake = f"{stack.url('intake')}/v1"
        bad = await http.post(
            f"{intake}/contacts",
            headers=gateway,
            json=contact(channel="carrier-pigeon", channel_message_id="bad-1"),
        )
        empty = await http.post(
            f"{intake}/contacts", headers=gateway, json=contact(text="", channel_message_id="bad-2")
        )
        rating = await http.post(
            f"{stack.url('feedback')}/v1/surveys/forged.token", json={"csat": 9}
        )
        native = await http.post(
            f"{intake}/channels/phone/contacts",
            headers=gateway,
            content=b'{"call_id": "c1", "caller_number": "+8613800000000"}',
        )

        assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (422, ["body", "channel"])
        assert (empty.status_code, empty.json()["detail"][0]["loc"]) == (422, ["body", "text"])
        assert rating.status_code == 404, "the link is checked before the body"
        assert (native.status_code, native.json()["detail"][0]["loc"]) == (
            422,
            ["body", "transcript"],
        )
        listing = await http.get(f"{intake}/tickets", headers=AGENT)
        assert listing.json()["items"] == []
