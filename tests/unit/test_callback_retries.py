"""A platform retries a message whose answer it did not get in time (WeChat three times within
15 s): the retry gets the same passive reply as the first try (docs/api.md, callbacks). The
acknowledgement of a message that opened a ticket stays the acknowledgement after the traveller
has written again: the retry of the first message is not "added to your ticket"."""

from __future__ import annotations

from contracts.events import Channel, ContactReceived
from services.intake.api.callbacks.common import reply_text, take
from services.intake.service import Outcome
from tests.factories import contact
from tests.unit.test_threading import intake


def wechat(msg_id: str, text: str) -> ContactReceived:
    return contact(
        channel=Channel.WECHAT, channel_message_id=msg_id, conversation_key="oU1", text=text
    )


async def test_the_retry_of_an_opening_message_is_acknowledged_after_a_follow_up() -> None:
    desk, _, _ = intake()
    first = wechat("7001", "我的航班CA1501取消了")
    later = wechat("7002", "还有，订单号 12345678")
    opened, _ = await take(desk, "acme", first)
    await take(desk, "acme", later)

    ticket, outcome = await take(desk, "acme", first)  # WeChat's retry of the first message
    followed, again = await take(desk, "acme", later)

    assert (ticket.id, outcome) == (opened.id, Outcome.OPENED)
    assert reply_text(desk, "acme", ticket, outcome, first) == reply_text(
        desk, "acme", opened, Outcome.OPENED, first
    )
    assert again is Outcome.FOLLOWED_UP
    assert reply_text(desk, "acme", followed, again, later) == f"已补充到您的工单 {ticket.id}。"
