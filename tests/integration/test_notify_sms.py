"""SMS through a provider's API and channels notify cannot use (issue #18, items 5 and 6),
with the real broker and store: a local fake of the provider's Messages API (the gateway
stub of ``test_notify_channels``) receives E.164 numbers; a number that is not one is never
sent; a preferred channel with no gateway is recorded as skipped, with the fallback.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs

import pytest

from services.notify.config import SmsProvider
from tests.integration.test_notify_channels import (
    GatewayStub,
    StartNotify,
    _delivered,
    acknowledged,
    person,
)
from tests.polling import until

pytestmark = pytest.mark.integration
MESSAGES = "/2010-04-01/Accounts/AC-test/Messages.json"


def provider(stub: GatewayStub) -> SmsProvider:
    return SmsProvider(url=stub.url, account="AC-test", token="sms-token", sender="+15550001111")


def form(body: bytes) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(body.decode()).items()}


async def test_a_chinese_mobile_without_86_reaches_the_provider_in_e164(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    gateway.answer(MESSAGES, 201)
    traveller = person(
        "trav-cn", language="zh-Hans", phone="138 0013 8000", preferred_channel="sms"
    )
    async with start_notify(sms=provider(gateway)) as notify:
        await notify.publish(acknowledged("TC-SMS", traveller))
        (entry,) = await until(lambda: _delivered(notify, "TC-SMS"))

    (call,) = gateway.to(MESSAGES)
    sent = form(call.body)
    assert sent["To"] == "+8613800138000"
    assert sent["From"] == "+15550001111"
    assert "我们已收到" in sent["Body"]
    assert "https://track.example/TC-SMS" in sent["Body"]
    assert (
        call.headers["authorization"] == "Basic " + base64.b64encode(b"AC-test:sms-token").decode()
    )
    assert call.headers["x-tripcare-delivery-id"] == entry["id"]
    assert not gateway.to("/sms"), "the provider takes precedence over an sms gateway webhook"
    assert (entry["channel"], entry["status"], entry["skipped"]) == ("sms", "delivered", [])


async def test_an_invalid_number_is_never_sent_and_the_skip_is_recorded(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    traveller = person("trav-bad", language="en", phone="12345", preferred_channel="sms")
    async with start_notify(sms=provider(gateway)) as notify:
        await notify.publish(acknowledged("TC-BAD", traveller))
        (entry,) = await until(lambda: _delivered(notify, "TC-BAD"))
        announced = await until(lambda: notify.bus_events("notification.delivered"))

    assert not gateway.calls
    assert entry["channel"] == "in_app"
    assert entry["skipped"] == [{"channel": "sms", "reason": "invalid phone number"}]
    assert announced[0]["skipped"] == entry["skipped"], "intake's timeline hears of it"


async def test_a_number_the_provider_refuses_falls_back_at_once(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    gateway.answer(MESSAGES, 400)
    traveller = person(
        "trav-x", language="en", phone="+8613800138000", preferred_channel="sms", email=None
    )
    async with start_notify(sms=provider(gateway)) as notify:
        await notify.publish(acknowledged("TC-REFUSED", traveller))

        async def both(notify: Any = notify) -> list[dict[str, Any]] | None:
            log = await notify.log("TC-REFUSED")
            return log if [d["status"] for d in log] == ["failed", "delivered"] else None

        failed, fallback = await until(both)

    assert len(gateway.to(MESSAGES)) == 1, "a 400 is not retried"
    assert failed["channel"] == "sms"
    assert "SMS provider HTTP 400" in failed["error"]
    assert (fallback["channel"], fallback["fallback_of"]) == ("in_app", failed["id"])


async def test_a_preferred_channel_without_a_gateway_is_skipped_with_its_fallback(
    start_notify: StartNotify, gateway: GatewayStub
) -> None:
    traveller = person(
        "trav-dd",
        language="en",
        im_user_id="dd-1",
        preferred_channel="dingtalk",
        fallback_channels=["wecom"],
    )
    async with start_notify() as notify:
        await notify.publish(acknowledged("TC-DD", traveller))
        (entry,) = await until(lambda: _delivered(notify, "TC-DD"))

    assert entry["channel"] == "wecom"
    assert entry["skipped"] == [{"channel": "dingtalk", "reason": "no dingtalk gateway configured"}]
    (call,) = gateway.to("/wecom")
    assert call.payload["address"] == "dd-1"
