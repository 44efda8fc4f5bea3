"""Agent actions over intake's API: what is refused is a 4xx naming the field, and writes nothing.

Intake over the in-memory store; routing, which owns queues and agents, is an
``httpx.MockTransport`` answering as routing's API does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.clock import FakeClock
from services.intake.domain import Ticket
from services.intake.routing_reader import RoutingReader
from tests.factories import T0, contact
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import client, intake_replica, staff

QUEUES = ["booking", "disruption", "finance", "general", "triage"]
AGENTS = {"agent-9"}


@dataclass
class Routing:
    """Routing's queues and agents API; ``down`` answers nothing at all."""

    down: bool = False
    seen: list[httpx.Request] = field(default_factory=list)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.down:
            raise httpx.ConnectTimeout("routing is slow", request=request)
        path = request.url.path
        if path == "/v1/queues":
            return httpx.Response(200, json=[{"id": q, "name": q} for q in QUEUES])
        agent = path.removeprefix("/v1/agents/")
        if agent in AGENTS:
            return httpx.Response(200, json={"agent_id": agent})
        return httpx.Response(404, json={"detail": "not found"})


@dataclass
class Desk:
    http: httpx.AsyncClient
    app: FastAPI
    routing: Routing
    ticket_id: str
    agent: dict[str, str] = field(default_factory=staff)

    async def ticket(self) -> Ticket:
        found: Ticket = await self.app.state.intake.get("acme", self.ticket_id)
        return found

    async def transfer(self, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"/v1/tickets/{self.ticket_id}/transfer", json=body, headers=self.agent
        )


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    app = intake_replica(FakeDatabase(), FakeClock(T0))
    routing = Routing()
    transport = httpx.MockTransport(routing.answer)
    app.state.routing = RoutingReader("http://routing", transport=transport)
    ticket, _ = await app.state.intake.receive_contact("acme", contact())
    async with client(app) as http:
        yield Desk(http, app, routing, ticket.id)


def unchanged(before: Ticket, after: Ticket) -> bool:
    """Same version, same story, and no transfer waiting in the outbox to be published."""
    return (after.version, after.queue, after.assignee, len(after.timeline)) == (
        before.version,
        before.queue,
        before.assignee,
        len(before.timeline),
    ) and all(m.routing_key != "ticket.transferred" for m in after.outbox)


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"queue": "no-such-queue", "reason": "test"}, "queue", "not a queue of this tenant"),
        ({"assignee": "nobody-at-all"}, "assignee", "not a registered agent"),
        ({"queue": "disruption", "assignee": "nobody-at-all"}, "assignee", "not a registered"),
    ],
)
async def test_a_transfer_to_a_queue_or_agent_routing_does_not_know_is_refused(
    desk: Desk, body: dict[str, Any], loc: str, message: str
) -> None:
    before = await desk.ticket()
    answer = await desk.transfer(body)
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", loc]
    assert message in problem["msg"]
    assert problem["type"] == {"queue": "unknown_queue", "assignee": "unknown_agent"}[loc]
    assert unchanged(before, await desk.ticket())


async def test_an_unknown_queue_is_answered_with_the_tenants_queues(desk: Desk) -> None:
    answer = await desk.transfer({"queue": "no-such-queue"})
    assert "booking, disruption, finance, general, triage" in answer.json()["detail"][0]["msg"]


async def test_a_transfer_routing_confirms_moves_the_ticket_asked_as_the_agent(
    desk: Desk,
) -> None:
    to_queue = await desk.transfer({"queue": "disruption", "reason": "cancellation"})
    assert (to_queue.status_code, to_queue.json()["queue"]) == (200, "disruption")
    to_agent = await desk.transfer({"assignee": "agent-9"})
    assert (to_agent.json()["status"], to_agent.json()["assignee"]) == ("assigned", "agent-9")
    asked = desk.routing.seen[0]
    assert asked.headers["authorization"] == desk.agent["Authorization"]
    assert asked.headers["x-tenant-id"] == "acme"


async def test_when_routing_does_not_answer_the_transfer_is_refused_for_a_retry(
    desk: Desk,
) -> None:
    desk.routing.down = True
    before = await desk.ticket()
    answer = await desk.transfer({"queue": "disruption"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert "nothing was changed" in answer.json()["detail"]
    assert unchanged(before, await desk.ticket())


async def test_routing_is_not_asked_about_a_ticket_of_another_tenant(desk: Desk) -> None:
    answer = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/transfer",
        json={"queue": "disruption"},
        headers=staff(tenant="globex"),
    )
    assert answer.status_code == 404
    assert desk.routing.seen == []


async def test_a_transfer_naming_neither_queue_nor_agent_is_refused(desk: Desk) -> None:
    answer = await desk.transfer({"reason": "wrong desk"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == "give a queue or an assignee"
    assert desk.routing.seen == []


async def test_an_empty_file_refuses_the_reply_naming_the_file_and_writes_nothing(
    desk: Desk,
) -> None:
    before = await desk.ticket()
    answer = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/reply",
        data={"message": "x"},
        files=[("files", ("empty.pdf", b"", "application/pdf"))],
        headers=desk.agent,
    )
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["loc"], problem["msg"]) == (["body", "files"], "empty.pdf: empty")
    after = await desk.ticket()
    assert (after.version, after.status, after.first_response_at) == (
        before.version,
        before.status,
        None,
    )


@pytest.mark.parametrize(
    ("data", "files", "loc"),
    [
        (
            {"message": "see attached"},
            [("file", ("v.pdf", b"%PDF-1.4", "application/pdf"))],
            "file",
        ),
        (
            {"message": "x", "attachment": "v.pdf"},
            [("files", ("", b"", "application/octet-stream"))],  # a file input left blank
            "attachment",
        ),
    ],
)
async def test_a_multipart_reply_with_a_field_it_does_not_take_is_refused_naming_it(
    desk: Desk, data: dict[str, str], files: list[Any], loc: str
) -> None:
    """``-F file=@voucher.pdf`` (not ``files``) posted the reply without the file, 200: the
    agent believed the traveller had the voucher. A JSON reply's unknown field is a 422."""
    before = await desk.ticket()
    answer = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/reply", data=data, files=files, headers=desk.agent
    )

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["loc"], problem["type"]) == (["body", loc], "extra_forbidden")
    assert (await desk.ticket()).version == before.version


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"queue": "<img src=x onerror=alert(1)>"},
            "not a queue of this tenant (queues: booking, disruption, finance, general, triage)",
        ),
        ({"assignee": "<img src=x onerror=alert(1)>"}, "not a registered agent of this tenant"),
        ({"queue": "q" * 120}, "String should have at most 64 characters"),
        ({"assignee": "a" * 200}, "String should have at most 128 characters"),
    ],
)
async def test_a_refused_transfer_says_what_is_wrong_without_echoing_the_input(
    desk: Desk, body: dict[str, Any], message: str
) -> None:
    answer = await desk.transfer(body)

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["msg"] == message


async def test_a_ticket_merged_into_itself_is_refused_for_that_reason(desk: Desk) -> None:
    before = await desk.ticket()
    answer = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/merge", json={"into": desk.ticket_id}, headers=desk.agent
    )

    assert (answer.status_code, answer.json()["detail"]) == (
        409,
        "a ticket cannot be merged into itself",
    )
    assert unchanged(before, await desk.ticket())


async def test_a_retried_merge_with_its_idempotency_key_is_answered_as_the_first_one(
    desk: Desk,
) -> None:
    other, third = [
        (await desk.app.state.intake.receive_contact("acme", contact(**someone)))[0]
        for someone in (
            {"channel_message_id": "app-msg-2", "conversation_key": "c-2", "text": "Invoice?"},
            {"channel_message_id": "app-msg-3", "conversation_key": "c-3", "text": "Visa letter?"},
        )
    ]
    url, retry = f"/v1/tickets/{desk.ticket_id}/merge", {**desk.agent, "Idempotency-Key": "m-1"}

    first = await desk.http.post(url, json={"into": other.id}, headers=retry)
    again = await desk.http.post(url, json={"into": other.id}, headers=retry)
    elsewhere = await desk.http.post(url, json={"into": third.id}, headers=retry)

    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json()
    assert first.json()["merged_into"] == other.id
    assert elsewhere.status_code == 422
    assert elsewhere.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


NOT_JSON = "the body must be JSON, sent with Content-Type: application/json"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("reply", {"content-type": "application/x-www-form-urlencoded"}),  # curl -d message=…
        ("reply", {}),  # no content type at all
        ("reply", {"content-type": "text/plain"}),
        ("notes", {"content-type": "application/x-www-form-urlencoded"}),
        ("notes", {}),
    ],
)
async def test_a_reply_sent_as_a_form_is_told_to_send_json_and_writes_nothing(
    desk: Desk, path: str, headers: dict[str, str]
) -> None:
    """``curl -d message=…`` answered "JSON decode error: unexpected character" at the reply,
    which reads its own body (it may be multipart), while a declared body said what to do."""
    before = await desk.ticket()
    answer = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/{path}",
        content=b"message=%E5%B7%B2%E6%94%B9%E7%AD%BE",
        headers={**desk.agent, **headers},
    )

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["loc"], problem["msg"]) == (["body"], NOT_JSON)
    assert (await desk.ticket()).version == before.version


async def test_json_with_its_type_still_says_where_it_breaks(desk: Desk) -> None:
    answer = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/reply",
        content=b'{"message": "x"',
        headers={**desk.agent, "content-type": "application/json"},
    )

    (problem,) = answer.json()["detail"]
    assert (problem["loc"], problem["type"]) == (["body", 15], "json_invalid")
    assert "unexpected end of data" in problem["msg"]


async def test_a_multipart_reply_and_a_json_one_are_still_taken(desk: Desk) -> None:
    form = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/reply",
        data={"message": "on it"},
        files=[("files", ("", b"", "application/octet-stream"))],  # a file input left blank
        headers=desk.agent,
    )
    sent = await desk.http.post(
        f"/v1/tickets/{desk.ticket_id}/reply", json={"message": "on it"}, headers=desk.agent
    )

    assert (form.status_code, sent.status_code) == (200, 200), (form.text, sent.text)


@pytest.mark.parametrize(
    ("headers", "msg"),
    [
        ({"content-type": "application/x-www-form-urlencoded"}, NOT_JSON),
        ({}, NOT_JSON),
        ({"content-type": "application/json"}, "JSON decode error: invalid literal"),
    ],
)
async def test_a_json_channels_payload_that_is_no_json_says_so_by_its_type(
    desk: Desk, headers: dict[str, str], msg: str
) -> None:
    created = await desk.http.post(
        "/v1/admin/api-keys", json={"name": "app", "scopes": ["contacts:write"]}, headers=staff()
    )
    answer = await desk.http.post(
        "/v1/channels/in_app/contacts",
        content=b"text=hello&user=trav-42",
        headers={"X-Api-Key": created.json()["key"], **headers},
    )

    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert (problem["loc"][0], problem["msg"][: len(msg)]) == ("body", msg)
