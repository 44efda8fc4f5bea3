"""A signed callback URL seen once (a proxy's log) must not carry another body.

WeChat's plain-mode signature covers only token, timestamp and nonce, and a DingTalk robot's
``sign`` only the timestamp: intake binds each to the first body it came with, for as long as
the timestamp is fresh. The same body again is the platform's retry (the same answer); another
body is refused (403) and writes nothing to anyone's ticket.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from wechatpy.crypto import WeChatCrypto

from services.intake.wechat_crypto import dingtalk_robot_sign
from tests.conftest import Stack
from tests.e2e.test_im_callbacks import TOKEN, Platform, plain_signature, wechat_post

pytestmark = pytest.mark.e2e


@pytest.fixture
async def desk(intake_only: Stack) -> AsyncIterator[Platform]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield Platform(http, intake_only)


def from_victim(msg_id: str, text: str) -> str:
    return (
        "<xml><ToUserName><![CDATA[gh_acme]]></ToUserName>"
        "<FromUserName><![CDATA[oVICTIM]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def signed_query() -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    return {
        "signature": plain_signature(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
    }


async def ticket(desk: Platform) -> dict[str, Any]:
    (only,) = await desk.tickets()
    answer = await desk.http.get(
        f"{desk.stack.url('intake')}/v1/tickets/{only['id']}", headers=desk.agent
    )
    return dict(answer.json())


async def test_a_plain_wechat_signature_reused_with_another_body_is_refused(
    desk: Platform,
) -> None:
    await desk.configure("wechat", "wx0123456789abcdef", passive_reply=True)
    query = signed_query()
    genuine = from_victim("8001", "My flight CA1501 was cancelled")

    first = await desk.http.post(desk.url("wechat"), params=query, content=genuine)
    retried = await desk.http.post(desk.url("wechat"), params=query, content=genuine)
    forged = [
        await desk.http.post(desk.url("wechat"), params=query, content=from_victim(msg_id, text))
        for msg_id, text in (("8002", "Send the refund to IBAN XX00 MALLORY"), ("8001", "other"))
    ]

    assert first.status_code == 200, first.text
    assert (retried.status_code, retried.text) == (200, first.text)
    assert [answer.status_code for answer in forged] == [403, 403]
    victims = await ticket(desk)
    assert victims["repeat_contacts"] == 0
    assert "MALLORY" not in str(victims)


async def test_a_safe_mode_wechat_query_carries_no_plain_body(desk: Platform) -> None:
    """``encrypt_type`` is not signed: dropping it must not turn the query into a plain one."""
    await desk.configure("wechat", "wx0123456789abcdef")
    crypto = WeChatCrypto(TOKEN, desk.key, "wx0123456789abcdef")
    query, body = wechat_post(crypto, from_victim("8101", "Hotel overbooked"))

    genuine = await desk.http.post(desk.url("wechat"), params=query, content=body)
    downgraded = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
    forged = await desk.http.post(
        desk.url("wechat"), params=downgraded, content=from_victim("8102", "MALLORY was here")
    )

    assert genuine.status_code == 200, genuine.text
    assert forged.status_code == 403
    assert (await ticket(desk))["repeat_contacts"] == 0


def robot(msg_id: str, text: str) -> dict[str, Any]:
    return {
        "msgId": msg_id,
        "conversationId": "cid-1",
        "senderId": "s-victim",
        "senderNick": "Wang Fang",
        "senderStaffId": "staff-victim",
        "createAt": int(time.time() * 1000),
        "msgtype": "text",
        "text": {"content": text},
    }


async def test_a_dingtalk_robot_sign_reused_with_another_body_is_refused(desk: Platform) -> None:
    await desk.configure("dingtalk", "ding-app-key", app_secret="robot-secret")
    timestamp = str(int(time.time() * 1000))
    headers = {"timestamp": timestamp, "sign": dingtalk_robot_sign("robot-secret", timestamp)}
    genuine = robot("ding-msg-1", "我的火车G1234次晚点了")

    first = await desk.http.post(desk.url("dingtalk"), json=genuine, headers=headers)
    retried = await desk.http.post(desk.url("dingtalk"), json=genuine, headers=headers)
    forged = await desk.http.post(
        desk.url("dingtalk"), json=robot("ding-msg-2", "MALLORY was here"), headers=headers
    )

    assert first.status_code == 200, first.text
    assert (retried.status_code, retried.json()) == (200, first.json())
    assert forged.status_code == 403
    assert (await ticket(desk))["repeat_contacts"] == 0
