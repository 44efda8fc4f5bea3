"""Issue #4 acceptance over HTTP, against the four running services: the bot answers a
standard question, never a critical one, and "that did not help" hands the ticket to a
qualified person of the same tenant at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
AGENT = Stack.token("agent-acc")
MANAGER = Stack.token("mgr-1", "manager")


def contact(message_id: str, text: str) -> dict[str, Any]:
    return {
        "channel": "in_app",
        "channel_message_id": message_id,
        "traveller": {"id": "trav-7", "name": "Ann Lee", "language": "en"},
        "text": text,
    }


async def register_agents(http: httpx.AsyncClient, routing: str) -> None:
    """An account-access agent and an expert here, one in globex; agents may not add agents."""
    accounts = {"categories": ["account_access"], "languages": ["en"], "presence": "online"}
    for agent_id, body, headers in (
        ("agent-acc", {**accounts, "capacity": 2}, MANAGER),
        ("expert-1", {"languages": ["en"], "expert": True, "presence": "online"}, MANAGER),
        (
            "agent-globex",
            {**accounts, "capacity": 50},
            Stack.token("m", "manager", ("globex",)),
        ),
    ):
        put = await http.put(f"{routing}/agents/{agent_id}", json=body, headers=headers)
        assert put.status_code == 201, put.text
    refused = await http.put(f"{routing}/agents/x", json=accounts, headers=AGENT)
    assert refused.status_code == 403


async def test_bot_answers_only_what_it_may_and_not_helped_goes_to_a_person(stack: Stack) -> None:
    intake, routing = f"{stack.url('intake')}/v1", f"{stack.url('routing')}/v1"
    async with httpx.AsyncClient(timeout=10) as http:
        gateway = await stack.api_key(http)
        await register_agents(http, routing)

        async def ticket(ticket_id: str, status: str) -> dict[str, Any] | None:
            found = (await http.get(f"{intake}/tickets/{ticket_id}", headers=AGENT)).json()
            return found if found["status"] == status else None

        # a standard question: answered by the bot from the knowledge base
        asked = await http.post(
            f"{intake}/contacts",
            json=contact("m-1", "Hi, I forgot my password. How do I reset it?"),
            headers=gateway,
        )
        assert asked.status_code == 201, asked.text
        answered = await until(lambda: ticket(asked.json()["ticket_id"], "bot_answered"))
        step = next(e for e in answered["timeline"] if e["kind"] == "bot_answered")
        assert step["details"]["article_id"] == "password-reset"
        assert answered["first_response_at"] is not None

        # a critical case, about the same thing: never the bot, the expert desk at once
        critical = await http.post(
            f"{intake}/contacts",
            json=contact(
                "m-2",
                "I forgot my password and my flight boards in 30 minutes, I'm at the airport",
            ),
            headers=gateway,
        )
        urgent = await until(lambda: ticket(critical.json()["ticket_id"], "assigned"))
        assert (urgent["queue"], urgent["assignee"], urgent["priority"]) == (
            "expert",
            "expert-1",
            "critical",
        )
        assert "bot_answered" not in [e["kind"] for e in urgent["timeline"]]
        routed = next(e for e in urgent["timeline"] if e["kind"] == "routed")
        assert "bot: critical: never auto-answered" in routed["details"]["reason"]

        # "that did not help": back to a qualified person of this tenant, raised
        not_helped = await http.post(f"{asked.json()['tracking_url']}/not-helped")
        assert not_helped.status_code == 200, not_helped.text
        assert not_helped.json()["status"] == "reopened"
        human = await until(lambda: ticket(asked.json()["ticket_id"], "assigned"))
        assert (human["queue"], human["assignee"], human["priority"]) == (
            "accounts",
            "agent-acc",
            "high",
        )
        again = await http.post(f"{asked.json()['tracking_url']}/not-helped")
        assert again.status_code == 409

        case = (await http.get(f"{routing}/cases/{human['id']}", headers=AGENT)).json()
        assert case["bot"]["article_id"] == "password-reset"
        assert case["bot_decision"] == "the bot's answer did not help: a person answers"
        assert case["top_categories"][0]["category"] == "account_access"
        held = (await http.get(f"{routing}/agents/agent-acc", headers=AGENT)).json()
        assert held["tickets"] == [human["id"]]
        globex = Stack.token("m", "manager", ("globex",))
        other = (await http.get(f"{routing}/agents/agent-globex", headers=globex)).json()
        assert other["tickets"] == []

        # every confidence is on the case; junk goes to the triage queue for a human look
        for name in ("category", "urgency", "sentiment", "language"):
            assert 0.0 <= case[f"{name}_confidence"] <= 1.0, case
        junk = await http.post(
            f"{intake}/contacts", json=contact("m-3", "1234567890"), headers=gateway
        )

        async def queued(ticket_id: str) -> dict[str, Any] | None:
            found = (await http.get(f"{intake}/tickets/{ticket_id}", headers=AGENT)).json()
            return found if found.get("queue") else None

        unsure = await until(lambda: queued(junk.json()["ticket_id"]))
        assert unsure["queue"] == "triage"
        looked = (await http.get(f"{routing}/cases/{unsure['id']}", headers=AGENT)).json()
        assert (looked["category"], looked["needs_human_look"]) == ("other", True)
        assert looked["category_confidence"] < 0.5
        admin = Stack.token("ops", "admin")
        bad = await http.put(f"{routing}/policy", json={"triage_threshold": 1.5}, headers=admin)
        assert bad.status_code == 422
        assert (await http.get(f"{routing}/policy", headers=AGENT)).json()[
            "triage_threshold"
        ] == 0.5
