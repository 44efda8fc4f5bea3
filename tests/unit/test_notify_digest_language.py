"""A digest speaks its reader's language, every item included.

A notice's language is the recipient's stated one, else the event's (an agent's reply is
told in the language it was written in), else the one detected in their contact. Folded into
one digest, a Japanese traveller's updates kept each its own: the digest took the first
notice's language and copied each item's text as rendered, so a reply an agent wrote in
Chinese made "您的工单 TC-9 有新回复：我们已回复您的工单…" an item of a Japanese digest — or,
when it came first, the whole digest Chinese. Notify now keeps each delivery's template
values, and a digest renders in the recipient's own language (stated, else detected) and
renders each item again in it; what a person wrote (the agent's reply) stays as written.
"""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.events import ReplyChannel, Traveller
from services.notify.domain.delivery import Delivery
from tests.factories import T0, envelope
from tests.unit.test_notify_withdrawn_sends import Desk

KEIKO = Traveller(
    id="trav-42",
    detected_language="ja",
    email="keiko@acme.example",
    preferred_channel=ReplyChannel.EMAIL,
)
CHINESE_REPLY = "已为您改签到明天的航班。"


def replied(n: int, language: str, message: str) -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id="TC-9",
        channel=events.Channel.EMAIL,
        traveller=KEIKO,
        author="agent-7",
        message=message,
        language=language,
        first_response=n == 0,
        replied_at=T0,
    )


async def held_digest(*replies: tuple[str, str]) -> tuple[Desk, list[Delivery]]:
    """One reply sent (the window's only slot), then ``replies`` held and sent as one digest."""
    desk = Desk()
    await desk.notifier.notify(envelope(replied(0, "ja", "承知しました。"), message_id="r0"))
    await desk.dispatch()
    held = []
    for n, (language, message) in enumerate(replies, start=1):
        desk.clock.advance(timedelta(seconds=1))
        (delivery,) = await desk.notifier.notify(
            envelope(replied(n, language, message), message_id=f"r{n}")
        )
        held.append(delivery)
    desk.clock.advance(timedelta(minutes=10))
    await desk.dispatch()
    return desk, held


async def test_a_chinese_reply_in_a_japanese_travellers_digest_reads_as_japanese() -> None:
    desk, (_, chinese) = await held_digest(("ja", "ご確認ください。"), ("zh-Hans", CHINESE_REPLY))
    assert chinese.language == "zh-Hans", "told alone, the reply is in its own language"

    digest = desk.gateway.sent[-1]

    assert len(desk.gateway.sent) == 2
    assert digest.subject == "お問い合わせに2件の更新があります"
    assert digest.body.count("チケット TC-9について回答いたしました") == 2, digest.body
    assert CHINESE_REPLY in digest.body, "the agent's words stay as written"
    assert "您的工单" not in digest.body, digest.body
    assert "我们已回复" not in digest.body, digest.body


async def test_a_digest_led_by_a_chinese_reply_is_japanese_too() -> None:
    desk, held = await held_digest(("zh-Hans", CHINESE_REPLY), ("ja", "ご確認ください。"))

    digest = desk.gateway.sent[-1]
    leader = await desk.stored(held[0].id)

    assert digest.subject == "お問い合わせに2件の更新があります"
    assert "您的工单" not in digest.body, digest.body
    assert leader.language == "ja", "notification.delivered names the language it went in"
