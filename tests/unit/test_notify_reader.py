"""The ticket view's read of notify's delivery log: what it keeps, and when it does without."""

from __future__ import annotations

import httpx

from services.intake.notify_reader import NotifyReader

LOG = [
    {
        "status": "delivered",
        "recipient": "trav-42",
        "channel": "email",
        "template": "ticket_acknowledged",
        "language": "en",
        "delivered_at": "2026-12-05T10:00:01Z",
        "skipped": [],
        "subject": "kept inside notify's answer, not needed here",
    },
    {"status": "failed", "recipient": "trav-42", "channel": "sms", "template": "x"},
    {"status": "delivered", "recipient": "trav-42"},
    "not a delivery",
]


def reader(answer: httpx.Response | Exception, seen: list[httpx.Request]) -> NotifyReader:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return NotifyReader("http://notify", transport=httpx.MockTransport(handle))


async def test_only_well_formed_delivered_notices_are_kept_and_asked_for_as_the_caller() -> None:
    seen: list[httpx.Request] = []
    found = await reader(httpx.Response(200, json=LOG), seen).delivered("tok", "acme", "TC-1")
    assert [(d.channel, d.template) for d in found or []] == [("email", "ticket_acknowledged")]
    request = seen[0]
    assert (request.url.path, request.url.params["ticket_id"]) == ("/v1/notifications", "TC-1")
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["X-Tenant-Id"] == "acme"


async def test_no_usable_answer_is_none_not_an_empty_log() -> None:
    for answer in (
        httpx.Response(503),
        httpx.Response(200, text="<html>"),
        httpx.Response(200, json={"detail": "odd"}),
        httpx.ConnectError("refused"),
    ):
        assert await reader(answer, []).delivered("tok", "acme", "TC-1") is None, answer


async def test_the_log_is_read_page_after_page_to_its_newest_notice() -> None:
    seen: list[httpx.Request] = []

    def notice(n: int) -> dict[str, object]:
        return {**LOG[0], "template": f"notice_{n}", "delivered_at": f"2026-12-05T10:{n:02d}:00Z"}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("cursor") == "page-2":
            return httpx.Response(200, json={"items": [notice(2)], "next_cursor": None})
        return httpx.Response(200, json={"items": [notice(0), notice(1)], "next_cursor": "page-2"})

    notify = NotifyReader("http://notify", transport=httpx.MockTransport(handle))
    found = await notify.delivered("tok", "acme", "TC-1")

    assert [d.template for d in found or []] == ["notice_0", "notice_1", "notice_2"]
    assert [r.url.params.get("cursor") for r in seen] == [None, "page-2"]
    assert all(r.url.params["ticket_id"] == "TC-1" for r in seen)


async def test_a_page_that_fails_half_way_is_no_answer_not_a_log_cut_short() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor"):
            return httpx.Response(503)
        return httpx.Response(200, json={"items": LOG[:1], "next_cursor": "page-2"})

    notify = NotifyReader("http://notify", transport=httpx.MockTransport(handle))
    assert await notify.delivered("tok", "acme", "TC-1") is None


async def test_a_mail_that_bounced_after_its_delivery_still_shows_its_delivery() -> None:
    """A bounce fails a delivery the mail server had taken: the ticket keeps the step at
    ``delivered_at`` and adds the failure after it, rather than losing what happened."""
    bounced = {**LOG[0], "status": "failed", "error": "bounced: 5.1.1 smtp; 550 User unknown"}
    found = await reader(httpx.Response(200, json=[bounced]), []).delivered("tok", "acme", "TC-1")
    assert [(d.channel, d.template) for d in found or []] == [("email", "ticket_acknowledged")]
