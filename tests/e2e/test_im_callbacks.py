"""WeChat, WeCom and DingTalk calling intake, with payloads signed and encrypted by wechatpy,
as the platforms do: URL checks, encrypted messages, passive replies, refusals.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto, _get_signature
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.utils import WeChatSigner

from services.intake.wechat_crypto import dingtalk_robot_sign
from tests.conftest import Stack

pytestmark = pytest.mark.e2e
TOKEN = "callback-token"


def aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


def plain_signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


class Platform:
    """One tenant with its callback credentials set through the admin API."""

    def __init__(self, http: httpx.AsyncClient, stack: Stack) -> None:
        self.http = http
        self.stack = stack
        self.tenant = "t" + uuid.uuid4().hex[:8]
        self.key = aes_key()
        self.admin = Stack.token("ops", "admin", (self.tenant,))
        self.agent = Stack.token("agent-7", tenants=(self.tenant,))

    def url(self, channel: str, tenant: str | None = None) -> str:
        return f"{self.stack.url('intake')}/v1/callbacks/{channel}/{tenant or self.tenant}"

    async def configure(self, channel: str, receiver_id: str, **extra: Any) -> dict[str, Any]:
        body = {"token": TOKEN, "encoding_aes_key": self.key, "receiver_id": receiver_id, **extra}
        answer = await self.http.put(
            f"{self.stack.url('intake')}/v1/admin/channels/{channel}", json=body, headers=self.admin
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def tickets(self) -> list[dict[str, Any]]:
        answer = await self.http.get(f"{self.stack.url('intake')}/v1/tickets", headers=self.agent)
        return list(answer.json()["items"])


@pytest.fixture
async def platform(intake_only: Stack) -> AsyncIterator[Platform]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield Platform(http, intake_only)


def wechat_text(msg_id: str, text: str = "我的航班CA1501取消了，怎么办") -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_acme]]></ToUserName>"
        "<FromUserName><![CDATA[oTraveller42]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def wechat_post(crypto: WeChatCrypto, plain: str) -> tuple[dict[str, str], str]:
    """What WeChat sends in safe mode: query string and the encrypted XML body."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    encrypted = crypto.encrypt_message(plain, nonce, timestamp)
    fields = xmltodict.parse(encrypted)["xml"]
    body = (
        "<xml><ToUserName><![CDATA[gh_acme]]></ToUserName>"
        f"<Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"
    )
    query = {
        "signature": plain_signature(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": fields["MsgSignature"],
    }
    return query, body


def opened_reply(crypto: WeChatCrypto | WeComCrypto, response: httpx.Response) -> dict[str, str]:
    fields = xmltodict.parse(response.text)["xml"]
    plain = crypto.decrypt_message(
        response.text, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
    )
    return dict(xmltodict.parse(plain)["xml"])


async def test_wechat_verifies_the_url_with_the_tenants_token(platform: Platform) -> None:
    view = await platform.configure("wechat", "wx0123456789abcdef")
    assert view["callback_path"] == f"/v1/callbacks/wechat/{platform.tenant}"
    assert "token" not in view
    assert "encoding_aes_key" not in view
    timestamp, nonce = str(int(time.time())), "n0nce"
    query = {"timestamp": timestamp, "nonce": nonce, "echostr": "echo-4711"}

    good = await platform.http.get(
        platform.url("wechat"),
        params={**query, "signature": plain_signature(TOKEN, timestamp, nonce)},
    )
    forged = await platform.http.get(
        platform.url("wechat"),
        params={**query, "signature": plain_signature("other-token", timestamp, nonce)},
    )

    assert (good.status_code, good.text) == (200, "echo-4711")
    assert forged.status_code == 403
    for stale in ("1000", "abc", str(int(time.time()) + 3600)):
        replayed = await platform.http.get(
            platform.url("wechat"),
            params={**query, "timestamp": stale, "signature": plain_signature(TOKEN, stale, nonce)},
        )
        assert replayed.status_code == 403, stale


async def test_an_encrypted_wechat_message_opens_a_ticket_and_gets_an_encrypted_reply(
    platform: Platform,
) -> None:
    await platform.configure("wechat", "wx0123456789abcdef")
    crypto = WeChatCrypto(TOKEN, platform.key, "wx0123456789abcdef")
    query, body = wechat_post(crypto, wechat_text("7001"))

    answer = await platform.http.post(platform.url("wechat"), params=query, content=body)

    assert answer.status_code == 200, answer.text
    reply = opened_reply(crypto, answer)
    (ticket,) = await platform.tickets()
    assert (reply["ToUserName"], reply["FromUserName"]) == ("oTraveller42", "gh_acme")
    assert reply["MsgType"] == "text"
    assert f"工单号 {ticket['id']}" in reply["Content"]
    assert ticket["channel"] == "wechat"

    # WeChat retries a message it got no answer for in time: the same ticket, the same reply.
    query, body = wechat_post(crypto, wechat_text("7001"))
    again = await platform.http.post(platform.url("wechat"), params=query, content=body)
    assert ticket["id"] in opened_reply(crypto, again)["Content"]
    assert len(await platform.tickets()) == 1


async def test_wechat_messages_with_a_wrong_signature_key_or_time_write_nothing(
    platform: Platform,
) -> None:
    await platform.configure("wechat", "wx0123456789abcdef")
    crypto = WeChatCrypto(TOKEN, platform.key, "wx0123456789abcdef")
    query, body = wechat_post(crypto, wechat_text("7002"))
    stranger = WeChatCrypto(TOKEN, aes_key(), "wx0123456789abcdef")
    other_query, other_body = wechat_post(stranger, wechat_text("7003"))
    stale = {**query, "timestamp": str(int(time.time()) - 3600)}
    stale["signature"] = plain_signature(TOKEN, stale["timestamp"], query["nonce"])

    for params, content in (
        ({**query, "msg_signature": "0" * 40}, body),
        (other_query, other_body),
        (stale, body),
    ):
        answer = await platform.http.post(platform.url("wechat"), params=params, content=content)
        assert answer.status_code == 403, answer.text
    assert await platform.tickets() == []


async def test_another_tenants_callback_url_does_not_take_these_keys(platform: Platform) -> None:
    await platform.configure("wechat", "wx0123456789abcdef")
    crypto = WeChatCrypto(TOKEN, platform.key, "wx0123456789abcdef")
    query, body = wechat_post(crypto, wechat_text("7004"))

    answer = await platform.http.post(
        platform.url("wechat", tenant="unconfigured"), params=query, content=body
    )

    assert answer.status_code == 404


async def test_wecom_checks_the_url_and_sends_encrypted_messages(platform: Platform) -> None:
    await platform.configure("wecom", "ww-corp-0042")
    timestamp, nonce = str(int(time.time())), "n1"
    key = base64.b64decode(platform.key + "=")
    echostr = PrpCrypto(key).encrypt("echo-0042", "ww-corp-0042").decode()

    check = await platform.http.get(
        platform.url("wecom"),
        params={
            "msg_signature": _get_signature(TOKEN, timestamp, nonce, echostr),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        },
    )
    assert (check.status_code, check.text) == (200, "echo-0042")
    for stale in ("1000", "abc"):
        replayed = await platform.http.get(
            platform.url("wecom"),
            params={
                "msg_signature": _get_signature(TOKEN, stale, nonce, echostr),
                "timestamp": stale,
                "nonce": nonce,
                "echostr": echostr,
            },
        )
        assert replayed.status_code == 403, stale

    crypto = WeComCrypto(TOKEN, platform.key, "ww-corp-0042")
    plain = (
        "<xml><ToUserName><![CDATA[ww-corp-0042]]></ToUserName>"
        "<FromUserName><![CDATA[zhang.wei]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[Hotel in Shanghai overbooked, need a room tonight]]></Content>"
        "<MsgId>9001</MsgId><AgentID>1000002</AgentID></xml>"
    )
    encrypted = xmltodict.parse(crypto.encrypt_message(plain, nonce, timestamp))["xml"]
    answer = await platform.http.post(
        platform.url("wecom"),
        params={"msg_signature": encrypted["MsgSignature"], "timestamp": timestamp, "nonce": nonce},
        content=f"<xml><Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>",
    )

    assert answer.status_code == 200, answer.text
    (ticket,) = await platform.tickets()
    reply = opened_reply(crypto, answer)
    assert reply["ToUserName"] == "zhang.wei"
    assert ticket["id"] in reply["Content"]
    assert ticket["channel"] == "wecom"


async def test_dingtalk_checks_the_url_encrypted_and_robots_sign_their_callbacks(
    platform: Platform,
) -> None:
    await platform.configure("dingtalk", "ding-app-key", app_secret="robot-secret")
    timestamp, nonce = str(int(time.time() * 1000)), "n2"
    key = base64.b64decode(platform.key + "=")
    prp = PrpCrypto(key)
    encrypted = prp.encrypt(json.dumps({"EventType": "check_url"}), "ding-app-key").decode()

    check = await platform.http.post(
        platform.url("dingtalk"),
        params={
            "signature": _get_signature(TOKEN, timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        },
        json={"encrypt": encrypted},
    )
    assert check.status_code == 200, check.text
    answer = check.json()
    assert answer["msg_signature"] == _get_signature(
        TOKEN, answer["timeStamp"], answer["nonce"], answer["encrypt"]
    )
    assert prp.decrypt(answer["encrypt"], "ding-app-key") == "success"

    robot = {
        "msgId": "ding-msg-1",
        "conversationId": "cid-1",
        "senderId": "s-1",
        "senderNick": "Wang Fang",
        "senderStaffId": "staff-1",
        "createAt": int(time.time() * 1000),
        "msgtype": "text",
        "text": {"content": " 我的火车G1234次晚点了 "},
    }
    headers = {"timestamp": timestamp, "sign": dingtalk_robot_sign("robot-secret", timestamp)}
    signed = await platform.http.post(platform.url("dingtalk"), json=robot, headers=headers)
    forged = await platform.http.post(
        platform.url("dingtalk"),
        json={**robot, "msgId": "ding-msg-2"},
        headers={**headers, "sign": dingtalk_robot_sign("guess", timestamp)},
    )

    assert signed.status_code == 200, signed.text
    (ticket,) = await platform.tickets()
    assert signed.json()["msgtype"] == "text"
    assert ticket["id"] in signed.json()["text"]["content"]
    assert forged.status_code == 403
    assert len(await platform.tickets()) == 1


async def test_only_admins_set_channel_credentials(platform: Platform) -> None:
    answer = await platform.http.put(
        f"{platform.stack.url('intake')}/v1/admin/channels/wechat",
        json={"token": TOKEN, "encoding_aes_key": platform.key, "receiver_id": "wx1"},
        headers=platform.agent,
    )
    short = await platform.http.put(
        f"{platform.stack.url('intake')}/v1/admin/channels/wechat",
        json={"token": TOKEN, "encoding_aes_key": "short", "receiver_id": "wx1"},
        headers=platform.admin,
    )

    assert answer.status_code == 403
    assert short.status_code == 422


async def test_a_wecom_message_intake_cannot_take_is_answered_not_a_server_error(
    platform: Platform,
) -> None:
    """A member's zero-width space passes WeCom and fails the contact's text rule: answered
    as a dropped message (an empty 200), not a 500 that WeCom retries and counts."""
    await platform.configure("wecom", "ww-corp-0042")
    crypto = WeComCrypto(TOKEN, platform.key, "ww-corp-0042")
    timestamp, nonce = str(int(time.time())), "n3"
    plain = (
        "<xml><ToUserName><![CDATA[ww-corp-0042]]></ToUserName>"
        "<FromUserName><![CDATA[zhang.wei]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[\u200b]]></Content><MsgId>9002</MsgId><AgentID>1000002</AgentID></xml>"
    )
    encrypted = xmltodict.parse(crypto.encrypt_message(plain, nonce, timestamp))["xml"]

    answer = await platform.http.post(
        platform.url("wecom"),
        params={"msg_signature": encrypted["MsgSignature"], "timestamp": timestamp, "nonce": nonce},
        content=f"<xml><Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>",
    )

    assert (answer.status_code, answer.text) == (200, "")
    assert await platform.tickets() == []
