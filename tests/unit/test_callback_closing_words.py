"""A platform's passive reply answers a message at once, on WeChat, WeCom or DingTalk. Closing
words on an answered ticket ("收到，謝謝你們！") are only noted for staff (docs/api.md, closing
words): answering them "added to your ticket" would reply to a thank-you and tell the traveller
of a ticket they consider done, so the callback answers the platform without a message."""

from __future__ import annotations

from datetime import timedelta

from services.intake.api.callbacks.common import reply_text
from tests.factories import T0, contact
from tests.unit.test_threading import intake


async def test_closing_words_on_a_resolved_ticket_get_no_passive_reply() -> None:
    desk, clock, _ = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    resolve = lambda t: t.resolve(code="a", message="m", agent="x", now=T0)  # noqa: E731
    await desk.act("acme", first.id, resolve)
    clock.advance(timedelta(days=1))
    thanks = contact(conversation_key="s1", channel_message_id="m2", text="收到，謝謝你們！")

    kept, outcome = await desk.receive_contact("acme", thanks)
    again, repeated = await desk.receive_contact("acme", thanks)

    assert reply_text(desk, "acme", kept, outcome, thanks) is None
    assert reply_text(desk, "acme", again, repeated, thanks) is None


async def test_a_follow_up_that_asks_something_is_still_confirmed() -> None:
    desk, clock, _ = intake()
    first, _ = await desk.receive_contact("acme", contact(conversation_key="s1"))
    resolve = lambda t: t.resolve(code="a", message="m", agent="x", now=T0)  # noqa: E731
    await desk.act("acme", first.id, resolve)
    clock.advance(timedelta(days=1))
    chased = contact(conversation_key="s1", channel_message_id="m3", text="还是没收到发票")

    ticket, outcome = await desk.receive_contact("acme", chased)

    assert reply_text(desk, "acme", ticket, outcome, chased) == f"已补充到您的工单 {ticket.id}。"
