"""A routing notice never promises an answer time that has passed by the time it goes out.

"Our team has your request, expect an answer by 17:59" was checked only when the notice was
made: held back by the rate limit, a retry or a digest, it went out after the very time it
promised (2 minutes late on a 5-minute critical target). When it would go out after that
time it now says the same without the time ("our team has your request and is on it"), in
the reader's language; one a newer routing notice of the ticket followed ends
``superseded``, as an overtaken disruption revision does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts import events
from contracts.events import Priority, ReplyChannel, Traveller
from contracts.languages import LANGUAGES
from services.notify.domain.delivery import Delivery, DeliveryStatus, delivery_id
from services.notify.domain.outcome import Outcome
from tests.factories import T0, envelope
from tests.unit.test_notify_withdrawn_sends import Desk

PROMISES = {
    "en": ("expect an answer by", "already working on it"),
    "ja": ("までにご回答", "対応を進めて"),
    "zh-Hans": ("前答复您", "正在处理"),
    "zh-Hant": ("前回覆您", "正在處理"),
}


def mei(language: str = "en") -> Traveller:
    return Traveller(
        id="trav-42",
        language=language,
        email="mei@acme.example",
        preferred_channel=ReplyChannel.EMAIL,
    )


def routed(at: timedelta, due_in: timedelta, language: str = "en") -> events.TicketRouted:
    return events.TicketRouted(
        ticket_id="TC-9",
        traveller=mei(language),
        queue="general",
        priority=Priority.CRITICAL,
        first_response_due=T0 + at + due_in,
        resolution_due=T0 + timedelta(hours=4),
        reason="default",
        routed_at=T0 + at,
    )


def replied(language: str = "en") -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id="TC-9",
        traveller=mei(language),
        channel=events.Channel.EMAIL,
        author="agent-7",
        first_response=True,
        message="Your flight is rebooked.",
        replied_at=T0 + timedelta(minutes=2),
    )


async def tell(desk: Desk, event: events.Event, message_id: str) -> Delivery:
    await desk.notifier.notify(envelope(event, message_id=message_id))
    return await desk.stored(delivery_id(message_id, "trav-42", ReplyChannel.EMAIL))


async def use_the_slot(desk: Desk, language: str = "en") -> None:
    """An earlier message takes the one slot the window allows: the next waits 5 minutes."""
    await tell(desk, replied(language), "earlier")
    await desk.dispatch()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_notice_held_past_its_promised_time_goes_out_without_it(language: str) -> None:
    desk = Desk()
    await use_the_slot(desk, language)
    held = await tell(desk, routed(timedelta(0), timedelta(minutes=5), language), "routed")
    await desk.dispatch()
    assert (await desk.stored(held.id)).next_attempt_at is not None, "held for a slot"
    promise, on_it = PROMISES[language]
    assert promise in held.body

    desk.clock.advance(timedelta(minutes=7))
    await desk.dispatch()

    sent = desk.gateway.sent[-1]
    assert sent.delivery_id == held.id
    assert promise not in sent.body
    assert on_it in sent.body
    assert "TC-9" in sent.body
    stored = await desk.stored(held.id)
    assert (stored.status, stored.body) == (DeliveryStatus.DELIVERED, sent.body)


async def test_a_retry_after_the_promised_time_goes_out_without_it() -> None:
    desk = Desk()
    held = await tell(desk, routed(timedelta(0), timedelta(minutes=5)), "routed")
    desk.gateway.fail = Outcome.TEMPORARY
    await desk.dispatch()
    desk.gateway.fail = None
    desk.clock.advance(timedelta(minutes=6))
    await desk.dispatch()

    (sent,) = desk.gateway.sent
    assert sent.delivery_id == held.id
    assert "expect an answer by" not in sent.body
    assert "already working on it" in sent.body


async def test_a_promise_still_ahead_when_it_goes_out_is_kept() -> None:
    desk = Desk()
    await use_the_slot(desk)
    held = await tell(desk, routed(timedelta(0), timedelta(minutes=30)), "routed")
    desk.clock.advance(timedelta(minutes=6))
    await desk.dispatch()

    assert desk.gateway.sent[-1].body == held.body
    assert "expect an answer by" in held.body


async def test_a_digest_tells_the_routing_without_a_passed_time() -> None:
    desk = Desk()
    await use_the_slot(desk)
    held = await tell(desk, routed(timedelta(0), timedelta(minutes=5)), "routed")
    await tell(desk, replied(), "reply")
    desk.clock.advance(timedelta(minutes=7))
    await desk.dispatch()

    digest = desk.gateway.sent[-1]
    assert digest.delivery_id == held.id
    assert "Your flight is rebooked." in digest.body
    assert "expect an answer by" not in digest.body
    assert "already working on it" in digest.body


async def test_a_passed_promise_a_newer_routing_followed_is_not_sent() -> None:
    """The re-route tells the team that has it now, with its own (future) time."""
    desk = Desk()
    await use_the_slot(desk)
    older = await tell(desk, routed(timedelta(0), timedelta(minutes=5)), "routed-1")
    desk.clock.advance(timedelta(minutes=3))
    newer = await tell(desk, routed(timedelta(minutes=3), timedelta(minutes=30)), "routed-2")
    desk.clock.advance(timedelta(minutes=4))
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent][1:] == [newer.id]
    assert "expect an answer by" in desk.gateway.sent[-1].body
    stored = await desk.stored(older.id)
    assert (stored.status, stored.attempts) == (DeliveryStatus.SUPERSEDED, 0)
    assert "notification.failed" not in desk.outbox.routing_keys
