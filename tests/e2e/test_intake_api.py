"""Intake's public HTTP API: gateways, agent actions, tracking, tenancy, limits.

One intake process serves the module; each test works in a tenant of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Stack

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"


class Desk:
    """A tenant's view of intake: a gateway key and staff tokens."""

    def __init__(self, http: httpx.AsyncClient, stack: Stack, tenant: str) -> None:
        self.http = http
        self.base = f"{stack.url('intake')}/v1"
        self.stack = stack
        self.tenant = tenant
        self.agent = Stack.token("agent-7", tenants=(tenant,))
        self.gateway: dict[str, str] = {}

    async def contact(self, message_id: str, **fields: Any) -> httpx.Response:
        body = {
            "channel": "web_chat",
            "channel_message_id": message_id,
            "traveller": {"id": "trav-1", "language": "en"},
            "text": "My flight CA1501 is cancelled",
            **fields,
        }
        return await self.http.post(f"{self.base}/contacts", json=body, headers=self.gateway)

    async def open(self, message_id: str = "m1", **fields: Any) -> str:
        created = await self.contact(message_id, **fields)
        assert created.status_code == 201, created.text
        return str(created.json()["ticket_id"])

    async def act(
        self,
        ticket_id: str,
        action: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.base}/tickets/{ticket_id}/{action}", json=body, headers=headers or self.agent
        )


@pytest.fixture
async def desk(intake_only: Stack) -> AsyncIterator[Desk]:
    async with httpx.AsyncClient(timeout=10) as http:
        tenant = "ten" + uuid.uuid4().hex[:8]
        desk = Desk(http, intake_only, tenant)
        desk.gateway = await intake_only.api_key(http, tenant)
        yield desk


@pytest.mark.parametrize(
    ("channel", "fixture", "content_type"),
    [
        ("email", "email_reply.eml", "message/rfc822"),
        ("phone", "phone.json", "application/json"),
        ("web_chat", "web_chat.json", "application/json"),
        ("in_app", "in_app.json", "application/json"),
        ("wechat", "wechat_text.xml", "text/xml"),
        ("wecom", "wecom.json", "application/json"),
        ("dingtalk", "dingtalk.json", "application/json"),
        ("web_form", "web_form.json", "application/json"),
    ],
)
async def test_every_channel_payload_opens_a_ticket_once(
    desk: Desk, channel: str, fixture: str, content_type: str
) -> None:
    body = (FIXTURES / fixture).read_bytes()
    headers = {**desk.gateway, "content-type": content_type}
    url = f"{desk.base}/channels/{channel}/contacts"

    first = await desk.http.post(url, content=body, headers=headers)
    again = await desk.http.post(url, content=body, headers=headers)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    ticket = await desk.http.get(
        f"{desk.base}/tickets/{first.json()['ticket_id']}", headers=desk.agent
    )
    assert ticket.json()["channel"] == channel


async def test_agent_actions_walk_the_lifecycle_and_illegal_ones_answer_409(desk: Desk) -> None:
    ticket_id = await desk.open()

    steps = [
        ("reply", {"message": "Looking into it"}, "assigned"),
        ("notes", {"text": "airline hotline busy"}, "assigned"),
        ("wait", {"on": "supplier"}, "waiting_on_supplier"),
        ("resume", None, "assigned"),
        (
            "resolve",
            {"resolution_code": "rebooked", "message": "CA1503 tomorrow 08:00"},
            "resolved",
        ),
    ]
    for action, body, status in steps:
        response = await desk.act(ticket_id, action, body)
        assert (response.status_code, response.json()["status"]) == (200, status), action

    refused = await desk.act(ticket_id, "reply", {"message": "again?"})
    assert refused.status_code == 409
    assert "resolved" in refused.json()["detail"]
    closed = await desk.act(ticket_id, "close")
    assert closed.json()["status"] == "closed"
    timeline = [e["kind"] for e in closed.json()["timeline"]]
    assert timeline[:3] == ["received", "acknowledged", "replied"]
    assert "note" in timeline


async def test_without_routing_to_confirm_the_queue_a_transfer_is_503_and_writes_nothing(
    desk: Desk,
) -> None:
    """Routing is not running for this module (a transfer routing confirms: test_bad_input)."""
    ticket_id = await desk.open()
    before = await desk.http.get(f"{desk.base}/tickets/{ticket_id}", headers=desk.agent)

    refused = await desk.act(ticket_id, "transfer", {"queue": "disruption"})

    assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
    after = await desk.http.get(f"{desk.base}/tickets/{ticket_id}", headers=desk.agent)
    assert after.json() == before.json()


async def test_a_follow_up_threads_into_the_open_ticket(desk: Desk) -> None:
    ticket_id = await desk.open("m1", conversation_key="chat-1")
    follow = await desk.contact("m2", conversation_key="chat-1", text="Any news?")

    assert (follow.status_code, follow.json()["outcome"]) == (200, "followed_up")
    assert follow.json()["ticket_id"] == ticket_id


async def test_a_long_follow_up_in_another_language_moves_the_ticket_a_short_one_not(
    desk: Desk,
) -> None:
    first = await desk.contact(
        "m1", conversation_key="chat-2", traveller={"id": "trav-2"}, text="Hi"
    )
    ticket_id, tracking = first.json()["ticket_id"], first.json()["tracking_url"]
    japanese = "明日の便を変更したいのですが、午後の便に空席はありますか。"
    for message_id, text in (("m2", japanese), ("m3", "ok")):
        answer = await desk.contact(
            message_id, conversation_key="chat-2", traveller={"id": "trav-2"}, text=text
        )
        assert answer.json()["outcome"] == "followed_up", answer.text

    ticket = (await desk.http.get(f"{desk.base}/tickets/{ticket_id}", headers=desk.agent)).json()
    assert (ticket["language"], ticket["traveller"]["detected_language"]) == ("ja", "ja")
    changes = [e for e in ticket["timeline"] if e["kind"] == "language"]
    assert [c["details"] for c in changes] == [{"from": "en", "to": "ja", "by": "guess"}]
    assert (await desk.http.get(tracking)).json()["language"] == "ja"


async def test_merging_a_duplicate_closes_it_into_the_other(desk: Desk) -> None:
    keep = await desk.open("m1", conversation_key="chat-a")
    duplicate = await desk.open("m2", conversation_key="chat-b", text="Where is my invoice?")
    stranger = await desk.open("m4", conversation_key="chat-c", traveller={"id": "trav-2"})

    merged = await desk.act(duplicate, "merge", {"into": keep})
    again = await desk.act(duplicate, "merge", {"into": keep})
    refused = await desk.act(stranger, "merge", {"into": keep})
    follow = await desk.contact("m3", conversation_key="chat-b", text="Any news?")

    assert (merged.json()["status"], merged.json()["merged_into"]) == ("closed", keep)
    assert again.status_code == 200
    assert (refused.status_code, refused.json()["detail"]) == (
        409,
        f"a ticket cannot be merged into {keep}, which is another traveller's (trav-1, not trav-2)",
    )
    assert follow.json()["ticket_id"] == keep


async def test_listing_filters_searches_and_pages_with_a_cursor(desk: Desk) -> None:
    ids = [await desk.open(f"m{n}", text=f"Invoice number {n} is wrong") for n in range(5)]
    await desk.act(ids[0], "resolve", {"resolution_code": "x", "message": "ok"})

    page1 = (
        await desk.http.get(f"{desk.base}/tickets", params={"limit": 2}, headers=desk.agent)
    ).json()
    page2 = (
        await desk.http.get(
            f"{desk.base}/tickets",
            params={"limit": 2, "cursor": page1["next_cursor"]},
            headers=desk.agent,
        )
    ).json()
    resolved = (
        await desk.http.get(
            f"{desk.base}/tickets", params={"status": "resolved"}, headers=desk.agent
        )
    ).json()
    found = (
        await desk.http.get(f"{desk.base}/tickets", params={"q": "number 3"}, headers=desk.agent)
    ).json()
    bad = await desk.http.get(f"{desk.base}/tickets", params={"cursor": "%%%"}, headers=desk.agent)

    listed = [t["id"] for t in page1["items"] + page2["items"]]
    assert listed == list(reversed(ids))[:4]
    assert [t["id"] for t in resolved["items"]] == [ids[0]]
    assert [t["id"] for t in found["items"]] == [ids[3]]
    assert bad.status_code == 422


async def test_a_retried_request_with_an_idempotency_key_gets_the_first_answer(desk: Desk) -> None:
    ticket_id = await desk.open()
    headers = {**desk.agent, "Idempotency-Key": "reply-1"}

    first = await desk.act(ticket_id, "reply", {"message": "On it"}, headers=headers)
    retry = await desk.act(ticket_id, "reply", {"message": "On it"}, headers=headers)
    other = await desk.act(ticket_id, "reply", {"message": "Different"}, headers=headers)
    ticket = await desk.http.get(f"{desk.base}/tickets/{ticket_id}", headers=desk.agent)

    assert retry.status_code == first.status_code == 200
    assert retry.json() == first.json()
    assert other.status_code == 422
    assert [e["kind"] for e in ticket.json()["timeline"]].count("replied") == 1


async def test_another_tenants_ticket_is_not_found_on_every_endpoint(
    desk: Desk, intake_only: Stack
) -> None:
    ticket_id = await desk.open()
    stranger = Stack.token("agent-9", tenants=("globex",))
    reads = [await desk.http.get(f"{desk.base}/tickets/{ticket_id}", headers=stranger)]
    actions = {
        "reply": {"message": "x"},
        "notes": {"text": "x"},
        "transfer": {"queue": "x"},
        "wait": {"on": "traveller"},
        "resume": None,
        "resolve": {"resolution_code": "x", "message": "x"},
        "reopen": {"reason": "x"},
        "close": None,
        "merge": {"into": ticket_id},
    }
    for action, body in actions.items():
        reads.append(await desk.act(ticket_id, action, body, headers=stranger))
    listing = await desk.http.get(f"{desk.base}/tickets", headers=stranger)
    choosing = await desk.http.get(
        f"{desk.base}/tickets/{ticket_id}", headers={**stranger, "X-Tenant-Id": desk.tenant}
    )

    assert [r.status_code for r in reads] == [404] * len(reads)
    assert listing.json()["items"] == []
    assert choosing.status_code == 403


async def test_gateways_and_staff_must_authenticate(desk: Desk) -> None:
    no_key = await desk.http.post(f"{desk.base}/contacts", json={})
    bad_key = await desk.http.post(f"{desk.base}/contacts", json={}, headers={"X-Api-Key": "nope"})
    no_token = await desk.http.get(f"{desk.base}/tickets")
    forged = await desk.http.get(f"{desk.base}/tickets", headers={"Authorization": "Bearer x.y"})
    not_admin = await desk.http.post(
        f"{desk.base}/admin/api-keys", json={"name": "g"}, headers=desk.agent
    )
    foreign = await desk.contact("m1", tenant_id="globex")

    assert [r.status_code for r in (no_key, bad_key, no_token, forged)] == [401] * 4
    assert (not_admin.status_code, foreign.status_code) == (403, 403)


async def test_oversized_bodies_and_floods_are_refused(desk: Desk, intake_only: Stack) -> None:
    big = await desk.http.post(
        f"{desk.base}/channels/phone/contacts",
        headers=desk.gateway,
        content=b"x" * (2 * 1024 * 1024 + 1),
    )
    slow = await intake_only.api_key(desk.http, desk.tenant, rate_per_s=1)
    codes = [
        (await desk.http.post(f"{desk.base}/contacts", json={}, headers=slow)).status_code
        for _ in range(4)
    ]
    throttled = await desk.http.post(f"{desk.base}/contacts", json={}, headers=slow)

    assert big.status_code == 413
    assert 429 in codes
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1


async def test_the_tracking_link_shows_progress_without_internal_notes(desk: Desk) -> None:
    created = await desk.contact("m1")
    ticket_id = created.json()["ticket_id"]
    await desk.act(ticket_id, "notes", {"text": "VIP, handle with care"})

    tracked = await desk.http.get(created.json()["tracking_url"])
    forged = await desk.http.get(created.json()["tracking_url"] + "x")

    assert tracked.status_code == 200
    assert "note" not in [e["kind"] for e in tracked.json()["timeline"]]
    assert forged.status_code == 404
