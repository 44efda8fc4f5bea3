"""What a channel takes is what a traveller reads: a body too long for SMS (Twilio's 1,600
characters, an emoji counting as two) or for WeChat, WeCom and DingTalk (2,048 bytes of
UTF-8) is cut by notify at a clean place, marked as cut, with its link kept whole — not
refused by the platform, nor cut by it mid-character, mid-emoji or mid-link."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import orjson
import pytest

from contracts.events import ReplyChannel
from runtime.clock import FakeClock
from services.notify.channels.sender import Outgoing
from services.notify.channels.sms import TwilioSms
from services.notify.channels.webhook import WebhookSender
from services.notify.config import Gateway, SmsProvider
from services.notify.domain.fit import ELLIPSIS, fitted, utf16_length
from tests.factories import T0

LINK = "https://track.example/v1/track/eyJ0IjoiVEMtMSJ9.sig"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one glyph: man, ZWJ, woman, ZWJ, girl


def outgoing(channel: ReplyChannel, body: str, link: str | None = None) -> Outgoing:
    return Outgoing(
        delivery_id="N-1",
        tenant_id="acme",
        ticket_id="TC-1",
        recipient="trav-1",
        role="traveller",
        channel=channel,
        address="+8613800138000" if channel is ReplyChannel.SMS else "wx-li-lei",
        language="zh-Hans",
        template="ticket_replied",
        subject="您的工单 TC-1 有新回复",
        body=body,
        link=link,
    )


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(201, json={})


async def sent_sms(body: str) -> str:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
        provider = SmsProvider(account="AC-1", token="t", sender="+15550001111")
        await TwilioSms(provider, client).send(outgoing(ReplyChannel.SMS, body))
    (request,) = recorder.requests
    return parse_qs(request.content.decode())["Body"][0]


async def sent_webhook(channel: ReplyChannel, body: str, link: str | None = None) -> str:
    recorder = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
        gateway = Gateway(url="https://gw.example/hook", secret="s" * 16)
        await WebhookSender(gateway, client, FakeClock(T0)).send(outgoing(channel, body, link))
    (request,) = recorder.requests
    return str(orjson.loads(request.content)["body"])


async def test_an_sms_with_emoji_stays_within_twilios_1600_characters() -> None:
    """Twilio counts an emoji as two characters (error 21617 past 1,600): 1,500 letters and
    60 emoji are 1,620 and were refused, so the reply fell back to the inbox."""
    reply = "a" * 1_500 + "🙏" * 60 + " thanks"

    body = await sent_sms(reply)

    assert utf16_length(body) <= 1_600
    assert body.endswith(ELLIPSIS)
    assert "\ud83d" not in body


async def test_a_long_sms_is_cut_between_words_and_says_so() -> None:
    reply = "Your new flight CA1503 departs at 09:40 from terminal 3. " * 40

    body = await sent_sms(reply)

    assert len(body) <= 1_600
    assert body.endswith(ELLIPSIS)
    assert body.removesuffix(ELLIPSIS).endswith(("terminal 3.", "departs at", "CA1503", "flight"))
    assert reply.startswith(body.removesuffix(ELLIPSIS))


@pytest.mark.parametrize(
    "channel", [ReplyChannel.WECHAT, ReplyChannel.WECOM, ReplyChannel.DINGTALK]
)
async def test_a_long_chinese_reply_fits_the_platforms_2048_bytes(channel: ReplyChannel) -> None:
    """WeChat refuses a text over 2,048 bytes (45002), WeCom cuts it there, mid-character."""
    reply = "我们已为您改签至CA1503航班，明早九点四十分从三号航站楼出发，请提前到达机场。" * 30

    body = await sent_webhook(channel, reply)

    assert len(body.encode()) <= 2_048
    assert body.endswith(ELLIPSIS)
    assert reply.startswith(body.removesuffix(ELLIPSIS))


async def test_the_link_of_a_cut_message_is_kept_whole() -> None:
    body = "请查看进度。" * 400 + "查看进度：" + LINK

    sent = await sent_webhook(ReplyChannel.WECOM, body, LINK)

    assert len(sent.encode()) <= 2_048
    assert sent.endswith(LINK)
    assert ELLIPSIS in sent


async def test_web_chat_and_short_messages_go_as_written() -> None:
    short = "已为您改签至CA1503 🙏"

    assert await sent_webhook(ReplyChannel.WEB_CHAT, short * 500) == short * 500
    assert await sent_webhook(ReplyChannel.WECHAT, short) == short
    assert await sent_sms(short) == short


def test_a_cut_never_splits_one_glyph() -> None:
    body = "x" * 2_040 + FAMILY * 3

    cut = fitted(body, ReplyChannel.WECOM)

    kept = cut.removesuffix(ELLIPSIS)
    assert len(cut.encode()) <= 2_048
    assert kept.rstrip("x") in ("", FAMILY, FAMILY * 2)


def test_a_message_of_one_unbroken_word_is_cut_at_the_limit() -> None:
    cut = fitted("x" * 5_000, ReplyChannel.SMS)

    assert cut == "x" * (1_600 - len(ELLIPSIS)) + ELLIPSIS
