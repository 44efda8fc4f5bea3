"""Bad input against the four running services: each case's status, its message, nothing stored.

Issue #17's hand-made inputs, by family: JSON that ``json.loads`` lets through,
garbage text, absurd lengths and times in every channel's payload, hostile
e-mail and XML, signed supplier bodies that are not events, links checked before
bodies, and what the public tracking link lets out. Every refusal is a 422 (or
the link's 404) in the documented shape — ``detail`` a list of ``{loc, msg,
type}`` — short, and leaves nothing behind. One stack serves the module; each
test works in a tenant of its own.
"""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from runtime import webhook_signature
from tests.conftest import EDGE_PARTNER, EDGE_PARTNER_SECRET, Stack
from tests.polling import until

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "channels"
JSON = {"content-type": "application/json"}
LONG = "x" * 1_000


class Tenant:
    """A fresh tenant: its gateway key, an agent and a manager."""

    def __init__(self, stack: Stack, http: httpx.AsyncClient) -> None:
        self.stack, self.http = stack, http
        self.name = "edge-" + uuid.uuid4().hex[:8]
        self.agent = Stack.token("agent-7", "agent", (self.name,))
        self.manager = Stack.token("mgr-1", "manager", (self.name,))
        self.gateway: dict[str, str] = {}

    async def start(self) -> Tenant:
        self.gateway = await self.stack.api_key(self.http, self.name)
        return self

    def url(self, service: str, path: str) -> str:
        return f"{self.stack.url(service)}{path}"

    async def tickets(self) -> list[Any]:
        listed = await self.http.get(self.url("intake", "/v1/tickets"), headers=self.agent)
        assert listed.status_code == 200, listed.text
        return list(listed.json()["items"])


@pytest.fixture
async def tenant(four_services: Stack) -> Any:
    async with httpx.AsyncClient(timeout=30) as http:
        yield await Tenant(four_services, http).start()


def assert_refused(answer: httpx.Response, loc: list[Any], message: str) -> None:
    """A short 422 in the documented shape, naming the field and saying what is wrong."""
    assert answer.status_code == 422, answer.text
    assert len(answer.content) < 4_000
    detail = answer.json()["detail"]
    assert isinstance(detail, list)
    assert detail
    assert all(set(item) == {"loc", "msg", "type"} for item in detail)
    first = detail[0]
    assert first["loc"][: len(loc)] == loc, first
    assert message in first["msg"], first


def contact(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "in_app",
        "channel_message_id": "edge-" + uuid.uuid4().hex[:8],
        "traveller": {"id": "trav-1", "language": "en"},
        "text": "My flight CA1501 is cancelled",
        **fields,
    }


def raw_contact(text_json: bytes) -> bytes:
    return b'{"channel": "in_app", "traveller": {"id": "t-1"}, "text": ' + text_json + b"}"


CONTACTS: list[tuple[str, bytes, list[Any], str]] = [
    ("1e400", raw_contact(b"1e400"), ["body"], "infinity"),
    ("NaN", raw_contact(b"NaN"), ["body"], "expected a JSON value"),
    ("lone surrogate", raw_contact(b'"\\ud800"'), ["body"], "surrogate"),
    ("NUL in text", raw_contact(b'"hi\\u0000"'), ["body"], "NUL"),
    ("not UTF-8", raw_contact(b'"\xff\xfe"'), ["body"], "UTF-8"),
    ("nested", b"[" * 10_000, ["body"], "depth limit"),
    ("blank", orjson.dumps(contact(text=" \t\n ")), ["body", "text"], "visible"),
    ("control only", orjson.dumps(contact(text="\x01\x02")), ["body", "text"], "control"),
    (
        "NUL in traveller id",
        orjson.dumps(contact(traveller={"id": "trav\x00"})),
        ["body"],
        "NUL",
    ),
    (
        "not an e-mail",
        orjson.dumps(contact(traveller={"id": "t", "email": "not-an-email"})),
        ["body", "traveller", "email"],
        "not an e-mail address",
    ),
    (
        "1,000-character language",
        orjson.dumps(contact(traveller={"id": "t", "language": LONG})),
        ["body", "traveller", "language"],
        "at most 35",
    ),
    (
        "javascript: link",
        orjson.dumps(
            contact(
                attachments=[
                    {
                        "name": "a.pdf",
                        "content_type": "application/pdf",
                        "size": 1,
                        "url": "javascript:alert(document.cookie)",
                    }
                ]
            )
        ),
        ["body", "attachments", 0, "url"],
        "must be an absolute http:// or https:// URL",
    ),
    (
        "100,000 unknown keys",
        orjson.dumps({**contact(), **{f"k{i}": i for i in range(100_000)}}),
        ["body"],
        "100,004 keys",
    ),
]


@pytest.mark.parametrize(("case", "raw", "loc", "message"), CONTACTS, ids=[c[0] for c in CONTACTS])
async def test_a_bad_contact_is_refused_and_opens_nothing(
    tenant: Tenant, case: str, raw: bytes, loc: list[Any], message: str
) -> None:
    answer = await tenant.http.post(
        tenant.url("intake", "/v1/contacts"), content=raw, headers={**tenant.gateway, **JSON}
    )

    assert_refused(answer, loc, message)
    assert await tenant.tickets() == []


def payload(name: str, **changes: Any) -> bytes:
    body = orjson.loads((FIXTURES / name).read_bytes())
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = body
        for part in path:
            target = target[part]
        target[last] = value
    return orjson.dumps(body)


WECHAT = (FIXTURES / "wechat_text.xml").read_bytes()


def email(*headers: str, body: bytes = b"hello", content_type: str = "text/plain") -> bytes:
    head = "\r\n".join(["Message-ID: <edge@mail.example>", "From: Li <li@mail.example>", *headers])
    return head.encode() + f"\r\nContent-Type: {content_type}\r\n\r\n".encode() + body


def nested_email(depth: int) -> bytes:
    raw = b"Message-ID: <deep@mail.example>\r\nFrom: li@mail.example\r\n"
    for level in range(depth):
        raw += f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n".encode()
    return raw + b"Content-Type: text/plain\r\n\r\nhi\r\n"


def with_attachment(filename: str) -> bytes:
    return (
        b"Message-ID: <att@mail.example>\r\nFrom: li@mail.example\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/pdf\r\n"
        + f'Content-Disposition: attachment; filename="{filename}"\r\n\r\n'.encode()
        + b"%PDF\r\n--b--\r\n"
    )


GBK_SUBJECT = base64.b64encode("退款".encode("gbk")).decode()
CHANNELS: list[tuple[str, str, bytes, list[Any], str]] = [
    (
        "phone id",
        "phone",
        payload("phone.json", traveller_id="t" * 300),
        ["body", "traveller_id"],
        "at most",
    ),
    (
        "IVR language",
        "phone",
        payload("phone.json", language=LONG),
        ["body", "language"],
        "at most 35",
    ),
    (
        "year 9999",
        "phone",
        payload("phone.json", started_at="9999-12-31T00:00:00Z"),
        ["body", "started_at"],
        "future",
    ),
    (
        "visitor name",
        "web_chat",
        payload("web_chat.json", visitor__name=LONG),
        ["body", "visitor", "name"],
        "at most 200",
    ),
    (
        "WeCom user",
        "wecom",
        payload("wecom.json", external_userid="u" * 300),
        ["body", "external_userid"],
        "at most",
    ),
    (
        "WeCom +1e12",
        "wecom",
        payload("wecom.json", send_time=10**12),
        ["body", "send_time"],
        "less than",
    ),
    (
        "WeCom -1e12",
        "wecom",
        payload("wecom.json", send_time=-(10**12)),
        ["body", "send_time"],
        "greater than",
    ),
    (
        "DingTalk 1e18",
        "dingtalk",
        payload("dingtalk.json", createAt=10**18),
        ["body", "createAt"],
        "less than",
    ),
    (
        "DingTalk nick",
        "dingtalk",
        payload("dingtalk.json", senderNick=LONG),
        ["body", "senderNick"],
        "at most 200",
    ),
    (
        "web form e-mail",
        "web_form",
        payload("web_form.json", email="not-an-email"),
        ["body", "email"],
        "not an e-mail address",
    ),
    (
        "CreateTime yesterday",
        "wechat",
        WECHAT.replace(b"1795837200", b"yesterday"),
        ["body", "CreateTime"],
        "epoch",
    ),
    (
        "CreateTime -5",
        "wechat",
        WECHAT.replace(b"1795837200", b"-5"),
        ["body", "CreateTime"],
        "epoch",
    ),
    (
        "CreateTime 1e11",
        "wechat",
        WECHAT.replace(b"1795837200", b"99999999999"),
        ["body", "CreateTime"],
        "future",
    ),
    (
        "FromUserName",
        "wechat",
        WECHAT.replace(b"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", b"o" * 300),
        ["body", "FromUserName"],
        "at most",
    ),
    (
        "javascript: link",
        "in_app",
        payload(
            "in_app.json",
            attachments=[
                {"name": "a.pdf", "content_type": "a/b", "size": 1, "url": "javascript:x"}
            ],
        ),
        ["body", "attachments", 0, "url"],
        "must be an absolute http:// or https:// URL",
    ),
    ("DOCTYPE", "wechat", b'<!DOCTYPE xml SYSTEM "x.dtd">' + WECHAT, ["body"], "DTD"),
    (
        "XML encoding x-klingon",
        "wechat",
        b'<?xml version="1.0" encoding="x-klingon"?>' + WECHAT.decode().encode("gb18030"),
        ["body"],
        "unknown encoding",
    ),
    (
        "unknown charset",
        "email",
        email(content_type="text/plain; charset=x-klingon"),
        ["body"],
        "unknown charset",
    ),
    (
        "Message-ID",
        "email",
        email().replace(b"<edge@mail.example>", b"<a@"),
        ["body", "Message-ID"],
        "malformed",
    ),
    (
        "Message-ID of words",
        "email",
        email().replace(b"<edge@mail.example>", b"not a message id"),
        ["body", "Message-ID"],
        "malformed",
    ),
    ("1,000 multiparts", "email", nested_email(1_000), ["body"], "multipart"),
    (
        "25 sections",
        "email",
        email(
            content_type='multipart/mixed; boundary="b"',
            body=b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" * 25 + b"--b--\r\n",
        ),
        ["body"],
        "more than 20 multipart sections",
    ),
    (
        "8-bit From",
        "email",
        email().replace(b"Li <", "李雷 <".encode("gbk")),
        ["body", "From"],
        "decode",
    ),
    (
        "RFC 2047 charset",
        "email",
        email(f"Subject: =?utf-8?B?{GBK_SUBJECT}?="),
        ["body", "Subject"],
        "decode",
    ),
    (
        "display name",
        "email",
        email().replace(b"Li <", LONG.encode() + b" <"),
        ["body", "traveller", "name"],
        "at most 200",
    ),
    (
        "file name",
        "email",
        with_attachment("f" * 1_000 + ".pdf"),
        ["body", "attachments", 0, "name"],
        "at most 255",
    ),
]


@pytest.mark.parametrize(
    ("case", "channel", "raw", "loc", "message"), CHANNELS, ids=[c[0] for c in CHANNELS]
)
async def test_a_bad_channel_payload_is_refused_and_opens_nothing(
    tenant: Tenant, case: str, channel: str, raw: bytes, loc: list[Any], message: str
) -> None:
    answer = await tenant.http.post(
        tenant.url("intake", f"/v1/channels/{channel}/contacts"),
        content=raw,
        headers=tenant.gateway,
    )

    assert_refused(answer, loc, message)
    assert await tenant.tickets() == []


# ------------------------------------------------------------------ routing

OFFICE_TERMS: dict[str, Any] = {
    "targets": {
        "first_response_s": 900,
        "next_response_s": 1800,
        "resolution_s": 14_400,
        "supplier_s": 7200,
    },
    "calendar": {
        "business_hours": {
            "time_zone": "Asia/Shanghai",
            "days": [1, 2, 3, 4, 5],
            "opens": "09:00",
            "closes": "18:00",
            "holidays": ["2026-10-01"],
        }
    },
}


async def test_a_business_hours_policy_is_stored_and_an_absurd_target_is_not(
    tenant: Tenant,
) -> None:
    policies = tenant.url("routing", "/v1/sla-policies")

    saved = await tenant.http.put(
        policies, json={"priorities": {"high": OFFICE_TERMS}}, headers=tenant.manager
    )
    absurd = {**OFFICE_TERMS, "targets": {**OFFICE_TERMS["targets"], "resolution_s": 2**63 + 1}}
    refused = await tenant.http.put(
        policies, json={"priorities": {"high": absurd}}, headers=tenant.manager
    )
    read = await tenant.http.get(policies, headers=tenant.agent)

    assert saved.status_code == 200, saved.text
    assert_refused(refused, ["body", "priorities", "high", "targets", "resolution_s"], "less than")
    high = read.json()["priorities"]["high"]
    assert high["calendar"]["business_hours"]["opens"] == "09:00"
    assert high["targets"]["resolution_s"] == 14_400


def signed(raw: bytes) -> dict[str, str]:
    header = webhook_signature.sign(EDGE_PARTNER_SECRET, int(time.time()), raw)
    return {webhook_signature.HEADER: header, **JSON}


SUPPLIER_BODIES: list[tuple[str, bytes, list[Any]]] = [
    ("malformed", b'{"kind": ', ["body"]),
    ("nested", b"[" * 5_000 + b"]" * 5_000, ["body"]),
    ("not UTF-8", b'{"kind": "\xff"}', ["body"]),
    (
        "lone surrogate",
        b'{"kind": "\\ud800", "reference": "CA1", "service_date": "2026-12-24"}',
        ["body"],
    ),
    (
        "1e400",
        b'{"kind": 1e400, "reference": "CA1", "service_date": "2026-12-24"}',
        ["body", 9],
    ),
    (
        "NaN",
        b'{"kind": "flight_delayed", "reference": "ZZ9", "service_date": "2026-12-20", "x": NaN}',
        ["body", 82],
    ),
]


@pytest.mark.parametrize(
    ("case", "raw", "loc"), SUPPLIER_BODIES, ids=[c[0] for c in SUPPLIER_BODIES]
)
async def test_a_signed_supplier_body_that_is_not_an_event_is_refused(
    tenant: Tenant, case: str, raw: bytes, loc: list[Any]
) -> None:
    answer = await tenant.http.post(
        tenant.url("routing", f"/v1/suppliers/{EDGE_PARTNER}/events"),
        content=raw,
        headers=signed(raw),
    )

    assert_refused(answer, loc, "")
    operator = Stack.token("ops", "admin", ("tripcare",))
    unknown = await tenant.http.get(
        tenant.url("routing", "/v1/suppliers/unknown-events"), headers=operator
    )
    assert unknown.json() == []


async def test_a_tenants_admin_does_not_see_partners_unknown_events(tenant: Tenant) -> None:
    admin = Stack.token("ops", "admin", (tenant.name,))

    listed = await tenant.http.get(
        tenant.url("routing", "/v1/suppliers/unknown-events"), headers=admin
    )

    assert listed.status_code == 403


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"updated_at": 0}, ["body", "updated_at"]),
        ({"updated_at": "9999-12-31T00:00:00Z"}, ["body", "updated_at"]),
        ({"updated_at": "2099-01-01T00:00:00Z"}, ["body", "updated_at"]),
        ({"traveller": {"id": "   "}}, ["body", "traveller", "id"]),
        (
            {"segments": [{"kind": "rocket", "reference": "X1", "starts_at": "2026-12-20T08:00Z"}]},
            ["body", "segments", 0, "kind"],
        ),
        (
            {
                "segments": [
                    {
                        "kind": "hotel",
                        "reference": "H-88",
                        "starts_at": "2026-12-20T14:00Z",
                        "ends_at": "2026-12-10T12:00Z",
                    }
                ]
            },
            ["body", "segments", 0, "ends_at"],
        ),
    ],
)
async def test_a_bad_booking_is_refused_and_stores_nothing(
    tenant: Tenant, body: dict[str, Any], loc: list[Any]
) -> None:
    booking = {"traveller": {"id": "trav-1"}, "channel": "email", "segments": [], **body}
    admin = Stack.token("ops", "admin", (tenant.name,))
    url = tenant.url("routing", "/v1/bookings/BK-EDGE-1")

    answer = await tenant.http.put(url, json=booking, headers=admin)

    assert_refused(answer, loc, "")
    assert (await tenant.http.get(url, headers=admin)).status_code == 404


# ------------------------------------------------------------------ feedback


@pytest.mark.parametrize("kind", ["surveys", "appeals"])
@pytest.mark.parametrize("raw", [b"[" * 10_000, b'{"csat": NaN}', b"{" + b'"k": 1,' * 150_000])
async def test_a_survey_or_appeal_post_without_a_valid_link_reads_no_body(
    tenant: Tenant, kind: str, raw: bytes
) -> None:
    answer = await tenant.http.post(
        tenant.url("feedback", f"/v1/{kind}/anything"), content=raw, headers=JSON
    )

    assert answer.status_code == 404
    assert answer.json()["detail"].startswith("unknown")


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "2026-13"])
async def test_a_monthly_report_of_an_impossible_month_is_a_422(tenant: Tenant, month: str) -> None:
    answer = await tenant.http.get(
        tenant.url("feedback", f"/v1/reports/{tenant.name}/{month}.html"), headers=tenant.manager
    )

    assert_refused(answer, ["path", "month"], "")


async def test_a_422_raised_by_hand_has_the_documented_shape(tenant: Tenant) -> None:
    metrics = await tenant.http.get(
        tenant.url("feedback", "/v1/metrics"), params={"by": "nonsense"}, headers=tenant.manager
    )
    cursor = await tenant.http.get(
        tenant.url("intake", "/v1/tickets"), params={"cursor": "garbage"}, headers=tenant.agent
    )

    assert_refused(metrics, ["query", "by"], "distinct names")
    assert_refused(cursor, ["query", "cursor"], "cursor")


async def test_a_transfer_to_a_queue_or_agent_routing_does_not_know_writes_nothing(
    tenant: Tenant,
) -> None:
    created = await tenant.http.post(
        tenant.url("intake", "/v1/contacts"), json=contact(), headers=tenant.gateway
    )
    ticket_url = tenant.url("intake", f"/v1/tickets/{created.json()['ticket_id']}")
    registered = await tenant.http.put(
        tenant.url("routing", "/v1/agents/agent-9"),
        json={"languages": ["en"]},
        headers=tenant.manager,
    )
    assert registered.status_code in (200, 201), registered.text

    async def transfer(body: dict[str, str]) -> httpx.Response:
        return await tenant.http.post(f"{ticket_url}/transfer", json=body, headers=tenant.agent)

    queue = await transfer({"queue": "no-such-queue", "reason": "test"})
    agent = await transfer({"assignee": "nobody-at-all"})
    timeline = (await tenant.http.get(ticket_url, headers=tenant.agent)).json()["timeline"]

    assert_refused(queue, ["body", "queue"], "not a queue of this tenant")
    assert_refused(agent, ["body", "assignee"], "not a registered agent")
    assert "transferred" not in [e["kind"] for e in timeline]
    moved = await transfer({"queue": "finance", "assignee": "agent-9"})
    assert (moved.status_code, moved.json()["queue"], moved.json()["assignee"]) == (
        200,
        "finance",
        "agent-9",
    )


# ------------------------------------------------------------------ leaks


async def test_the_tracking_json_carries_only_what_the_traveller_may_see(tenant: Tenant) -> None:
    created = await tenant.http.post(
        tenant.url("intake", "/v1/contacts"), json=contact(), headers=tenant.gateway
    )
    ticket_id = created.json()["ticket_id"]
    ticket_url = tenant.url("intake", f"/v1/tickets/{ticket_id}")

    async def routed() -> dict[str, Any] | None:
        ticket = (await tenant.http.get(ticket_url, headers=tenant.agent)).json()
        return ticket if any(e["kind"] == "routed" for e in ticket["timeline"]) else None

    ticket = await until(routed, 30)
    await tenant.http.post(
        f"{ticket_url}/notes", json={"text": "VIP, handle with care"}, headers=tenant.agent
    )
    tracked = (await tenant.http.get(created.json()["tracking_url"])).json()

    reason = next(e["summary"] for e in ticket["timeline"] if e["kind"] == "routed")
    assert set(tracked) == {
        "ticket_id",
        "subject",
        "language",
        "time_zone",
        "status",
        "status_text",
        "handled_by",
        "agent_assigned",
        "expected_answer_by",
        "expected_answer_by_text",
        "waiting_on_you",
        "waiting_on_supplier",
        "can_say_not_helped",
        "timeline",
    }
    assert "routed" in [step["kind"] for step in tracked["timeline"]]
    assert all(
        set(step) == {"at", "at_text", "kind", "summary", "message"} for step in tracked["timeline"]
    )
    shown = orjson.dumps(tracked).decode()
    assert reason not in shown
    assert "VIP" not in shown
