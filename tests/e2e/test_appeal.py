"""An unhappy traveller appeals, over HTTP against the four running services.

contact → resolve → survey (HTML form) → rating 2 → appeal → reopened with a
raised priority → an expert resolves → a new survey → rating 5; the metrics and
the ticket's timeline show every step. Which queue the appeal lands in is
routing's to decide and test; this checks what intake and feedback own.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
AGENT = Stack.token("agent-7")
EXPERT = Stack.token("expert-1", "expert")
MANAGER = Stack.token("mgr-1", "manager")
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_rating_2_appeal_reopen_expert_resolves_rating_5(stack: Stack) -> None:
    intake, feedback = f"{stack.url('intake')}/v1", f"{stack.url('feedback')}/v1"
    async with httpx.AsyncClient(timeout=15) as http:
        gateway = await stack.api_key(http, scopes=["contacts:write", "inbox:read"])
        traded = await http.post(f"{intake}/gateway/token", headers=gateway)
        app = {"Authorization": f"Bearer {traded.json()['access_token']}"}
        created = await http.post(
            f"{intake}/contacts",
            headers=gateway,
            json={
                "channel": "in_app",
                "channel_message_id": "appeal-1",
                "traveller": {"id": "trav-9", "name": "Wang Fang", "language": "zh-Hans"},
                "text": "酒店HB12345入住时没有我的预订",
            },
        )
        assert created.status_code == 201, created.text
        ticket_id = created.json()["ticket_id"]

        async def ticket() -> dict[str, Any]:
            found = await http.get(f"{intake}/tickets/{ticket_id}", headers=AGENT)
            return dict(found.json())

        async def timeline_has(*kinds: str) -> dict[str, Any] | None:
            current = await ticket()
            seen = [entry["kind"] for entry in current["timeline"]]
            return current if all(seen.count(k) >= n for k, n in _counts(kinds).items()) else None

        await until(lambda: timeline_has("routed"))
        resolved = await http.post(
            f"{intake}/tickets/{ticket_id}/resolve",
            headers=AGENT,
            json={"resolution_code": "answered", "message": "请联系酒店前台"},
        )
        assert resolved.status_code == 200, resolved.text

        async def survey(number: int) -> dict[str, Any] | None:
            """What staff see of it: its state and rating, not the traveller's link."""
            listed = await http.get(f"{feedback}/surveys?ticket_id={ticket_id}", headers=AGENT)
            return next((s for s in listed.json() if s["id"].endswith(f"-{number}")), None)

        async def survey_link(number: int) -> str | None:
            """The traveller's link, as their app reads it from the inbox (oldest first)."""
            inbox = await http.get(f"{stack.url('notify')}/v1/inbox/trav-9", headers=app)
            links = [
                item["link"]
                for item in reversed(inbox.json())
                if item["template"] == "survey" and item["ticket_id"] == ticket_id
            ]
            return links[number - 1] if len(links) >= number else None

        first = await until(lambda: survey(1))
        assert (first["ask_nps"], first["state"], "url" in first) == (True, "sent", False)
        await rate_2_and_appeal(http, await until(lambda: survey_link(1)))

        reopened = await until(lambda: timeline_has("appealed", "reopened"))
        assert reopened["priority"] in ("high", "critical")
        assert reopened["status"] in ("reopened", "routed")
        appeal_entry = next(e for e in reopened["timeline"] if e["kind"] == "appealed")
        assert appeal_entry["details"]["text"] == "酒店仍然没有我的预订"

        again = await http.post(
            f"{intake}/tickets/{ticket_id}/resolve",
            headers=EXPERT,
            json={"resolution_code": "refunded", "message": "已为您全额退款并另订酒店"},
        )
        assert again.status_code == 200, again.text

        second = await until(lambda: survey(2))
        assert second["ask_nps"] is False, "NPS is asked on a cadence, not on every survey"
        second_link = await until(lambda: survey_link(2))
        rated = await http.post(second_link, json={"csat": 5, "comment": "专家处理得很好"})
        assert rated.status_code == 200, rated.text

        async def decided() -> list[dict[str, Any]] | None:
            appeals = await http.get(f"{feedback}/appeals?ticket_id={ticket_id}", headers=AGENT)
            found = list(appeals.json())
            return found if found and found[0]["status"] == "decided" else None

        (appeal,) = await until(decided)
        assert (appeal["number"], appeal["level"], appeal["via"]) == (1, "expert", "survey")
        assert (appeal["outcome"], appeal["decided_by"]) == ("refunded", "expert-1")

        await metrics_show_the_appeal(http, feedback)

        final = await until(
            lambda: timeline_has(
                "resolved",
                "resolved",
                "survey_sent",
                "survey_sent",
                "rated",
                "rated",
                "appealed",
                "reopened",
                "appeal_decided",
            )
        )
        rated_entries = [e["summary"] for e in final["timeline"] if e["kind"] == "rated"]
        assert rated_entries == ["Traveller rated: CSAT 2", "Traveller rated: CSAT 5"]
        await the_outcome_is_told_once(
            http, f"{stack.url('notify')}/v1/inbox/trav-9", app, ticket_id
        )

        await reports_include_it(http, feedback, final["opened_at"][:7])


async def the_outcome_is_told_once(
    http: httpx.AsyncClient, inbox: str, app: dict[str, str], ticket_id: str
) -> None:
    """The expert's resolution decided the appeal: the traveller reads "the outcome of your
    appeal" with its message, not also a second "your request is resolved"."""

    async def outcome_told() -> list[dict[str, Any]] | None:
        answer = await http.get(inbox, headers=app)
        mine = [m for m in answer.json() if m["ticket_id"] == ticket_id]
        return mine if any(m["template"] == "appeal_resolved" for m in mine) else None

    told = await until(outcome_told)
    templates = [m["template"] for m in told]
    assert (templates.count("ticket_resolved"), templates.count("appeal_resolved")) == (1, 1)
    outcome = next(m for m in told if m["template"] == "appeal_resolved")
    assert "已为您全额退款并另订酒店" in outcome["body"]


async def rate_2_and_appeal(http: httpx.AsyncClient, survey_url: str) -> None:
    """In a browser: the survey form, a rating of 2, the appeal it offers, the appeal filed."""
    form = await http.get(survey_url, headers=BROWSER)
    assert form.status_code == 200
    assert "您对本次获得的帮助满意吗" in form.text
    thanks = await http.post(survey_url, data={"csat": "2", "comment": "没有解决"}, headers=BROWSER)
    assert thanks.status_code == 200
    appeal_url = re.search(r'href="([^"]*/v1/appeals/[^"]+)"', thanks.text)
    assert appeal_url is not None, "an unhappy traveller is offered the appeal"

    appeal_form = await http.get(appeal_url.group(1), headers=BROWSER)
    assert (appeal_form.status_code, "资深专家" in appeal_form.text) == (200, True)
    filed = await http.post(
        appeal_url.group(1), data={"reason": "酒店仍然没有我的预订"}, headers=BROWSER
    )
    assert (filed.status_code, "已收到您的申诉" in filed.text) == (200, True)


async def metrics_show_the_appeal(http: httpx.AsyncClient, feedback: str) -> None:
    """Both ratings, the decided appeal, each rating counted for the agent who resolved."""

    async def metrics() -> dict[str, Any] | None:
        found = (await http.get(f"{feedback}/metrics", headers=MANAGER)).json()
        return found if found["csat"]["count"] == 2 and found["appeals"]["decided"] else None

    numbers = await until(metrics)
    assert (numbers["tickets"], numbers["resolved"]) == (1, 1)
    assert (numbers["csat"]["avg"], numbers["csat"]["satisfied_share"]) == (3.5, 0.5)
    assert numbers["appeals"] == {
        "filed": 1,
        "second": 0,
        "decided": 1,
        "tickets": 1,
        "rate": 1.0,
    }
    assert numbers["first_contact_resolution_rate"] == 0.0
    assert numbers["first_response_time_s"]["count"] == 1

    by_agent = await http.get(f"{feedback}/metrics?by=agent", headers=MANAGER)
    ratings = {g["key"]["agent"]: g["metrics"]["csat"]["avg"] for g in by_agent.json()["groups"]}
    assert ratings == {"agent-7": 2.0, "expert-1": 5.0}


async def reports_include_it(http: httpx.AsyncClient, feedback: str, month: str) -> None:
    """The daily CSV and the monthly HTML report, for managers only."""
    csv = await http.get(f"{feedback}/reports/acme.csv", headers=MANAGER)
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("day,tickets,resolved")
    monthly = await http.get(f"{feedback}/reports/acme/{month}.html", headers=MANAGER)
    assert (monthly.status_code, monthly.text.count("<svg")) == (200, 4)
    denied = await http.get(f"{feedback}/reports/acme.csv", headers=AGENT)
    assert denied.status_code == 403


def _counts(kinds: tuple[str, ...]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for kind in kinds:
        counted[kind] = counted.get(kind, 0) + 1
    return counted
