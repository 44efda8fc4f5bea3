"""Notify's pure delivery rules: back-off, retry or give up, fallback, rate limit and digest,
crash recovery, and the webhook signature (checked against an independent HMAC here).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import pytest

from contracts import events
from contracts.events import ReplyChannel, Traveller
from runtime.clock import epoch_ms
from runtime.webhook_signature import sign as signature
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.digest import digest_values, plan
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.outcome import Outcome, http_outcome, smtp_outcome
from services.notify.domain.rate_limit import RateLimit
from services.notify.domain.retry import RetryPolicy
from services.notify.domain.route import Hop
from tests.factories import T0

POLICY = RetryPolicy(max_attempts=3, base=timedelta(seconds=2), cap=timedelta(seconds=5))
LEASE = timedelta(seconds=30)
PERSON = Traveller(id="trav-1", language="en")
ROUTE = [
    Hop(channel=ReplyChannel.WECOM, address="wx-1"),
    Hop(channel=ReplyChannel.SMS, address="+8613800000000"),
    Hop(channel=ReplyChannel.IN_APP, address="trav-1"),
]


def pending(message_id: str = "m1", at: datetime = T0, route: list[Hop] = ROUTE) -> Delivery:
    notice = Notice("TC-1", PERSON, "ticket_routed", {"ticket_id": "TC-1"})
    rendered = Rendered("en", f"subject {message_id}", f"body {message_id}")
    return Delivery.create("acme", notice, rendered, route, source_message_id=message_id, now=at)


def fail(delivery: Delivery, outcome: Outcome, at: datetime = T0, jitter: float = 0.0) -> None:
    delivery.claim(at, LEASE)
    delivery.attempt_failed(at, "boom", outcome, POLICY, jitter)


def test_back_off_doubles_up_to_the_cap_and_jitter_spreads_it_over_the_upper_half() -> None:
    policy = RetryPolicy(max_attempts=9, base=timedelta(seconds=1), cap=timedelta(seconds=10))

    lowest = [policy.delay(n, 0.0).total_seconds() for n in range(1, 7)]
    highest = [policy.delay(n, 0.999999).total_seconds() for n in range(1, 7)]

    assert lowest == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert highest == pytest.approx([1.0, 2.0, 4.0, 8.0, 10.0, 10.0], rel=1e-5)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (500, Outcome.TEMPORARY),
        (503, Outcome.TEMPORARY),
        (429, Outcome.TEMPORARY),
        (408, Outcome.TEMPORARY),
        (400, Outcome.PERMANENT),
        (404, Outcome.PERMANENT),
        (410, Outcome.PERMANENT),
        (301, Outcome.PERMANENT),
    ],
)
def test_http_answers_are_delivered_worth_retrying_or_final(status: int, outcome: Outcome) -> None:
    assert http_outcome(status) is outcome


def test_smtp_4xx_is_worth_retrying_and_5xx_is_final() -> None:
    assert (smtp_outcome(421), smtp_outcome(451), smtp_outcome(550)) == (
        Outcome.TEMPORARY,
        Outcome.TEMPORARY,
        Outcome.PERMANENT,
    )


def test_a_temporary_failure_is_retried_after_back_off_without_announcing_anything() -> None:
    delivery = pending()

    fail(delivery, Outcome.TEMPORARY, jitter=0.5)

    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at == T0 + timedelta(seconds=1.5)
    assert delivery.due_ms == epoch_ms(T0 + timedelta(seconds=1.5))
    assert delivery.history[0].outcome is Outcome.TEMPORARY
    assert delivery.take_events() == []


def test_after_the_last_attempt_the_delivery_fails_and_says_so() -> None:
    delivery = pending()
    for _ in range(POLICY.max_attempts):
        fail(delivery, Outcome.TEMPORARY)

    (failed,) = delivery.take_events()

    assert delivery.status is DeliveryStatus.FAILED
    assert isinstance(failed, events.NotificationFailed)
    assert (failed.attempts, failed.channel, failed.notification_id) == (3, "wecom", delivery.id)


def test_a_permanent_failure_is_not_retried() -> None:
    delivery = pending()

    fail(delivery, Outcome.PERMANENT)

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.due_ms is None


def test_a_failed_delivery_hands_the_same_message_to_the_next_channel() -> None:
    delivery = pending()
    fail(delivery, Outcome.PERMANENT)

    sms = delivery.next_delivery(T0)
    assert sms is not None
    fail(sms, Outcome.PERMANENT)
    inbox = sms.next_delivery(T0)
    assert inbox is not None

    assert (sms.channel, sms.address, sms.fallback_of, sms.body) == (
        "sms",
        "+8613800000000",
        delivery.id,
        delivery.body,
    )
    assert sms.id != delivery.id
    assert (inbox.channel, inbox.status) == ("in_app", DeliveryStatus.DELIVERED)
    assert inbox.next_delivery(T0) is None
    assert pending().next_delivery(T0) is None  # only a failed delivery falls back


def test_an_attempt_whose_process_died_is_retried_once_its_lease_runs_out() -> None:
    delivery = pending()
    delivery.claim(T0, LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    assert not delivery.is_due(T0 + timedelta(seconds=5))
    assert delivery.is_due(later)

    delivery.recover(later, POLICY, 0.0)

    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.history[0].error is not None
    assert "interrupted" in delivery.history[0].error
    assert delivery.is_due(later + POLICY.base)


def test_the_rate_limit_opens_a_slot_when_enough_sends_leave_the_window() -> None:
    limit = RateLimit(limit=2, window=timedelta(minutes=1))
    sent = [T0, T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)]

    assert limit.next_slot([], T0) == T0
    assert limit.next_slot(sent[:1], T0 + timedelta(seconds=5)) == T0 + timedelta(seconds=5)
    assert limit.next_slot(sent, T0 + timedelta(seconds=30)) == T0 + timedelta(seconds=70)
    assert limit.next_slot(sent, T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=5)


def delivered_at(at: datetime, message_id: str) -> Delivery:
    delivery = pending(message_id, at)
    delivery.claim(at, LEASE)
    delivery.succeed(at)
    return delivery


def test_a_storm_of_updates_is_held_by_the_rate_limit_then_sent_as_one_digest() -> None:
    limit = RateLimit(limit=1, window=timedelta(minutes=1))
    first = delivered_at(T0, "m0")
    storm = [pending(f"m{n}", T0 + timedelta(seconds=n)) for n in range(1, 5)]
    now = T0 + timedelta(seconds=5)

    held = plan([first, *storm], now, limit)
    assert (held.leader, held.until, len(held.deferred)) == (None, T0 + timedelta(minutes=1), 4)
    for delivery in held.deferred:
        delivery.defer(held.until)
    assert plan([first, *storm], now, limit).deferred == []  # not due again before the slot

    opened = plan([first, *storm], T0 + timedelta(minutes=1), limit)
    assert opened.leader is storm[0]
    assert opened.members == storm[1:]


def test_a_digest_carries_every_notice_and_announces_each_delivered() -> None:
    leader, *members = [pending(f"m{n}", T0 + timedelta(seconds=n)) for n in range(3)]
    values = digest_values(leader, members)
    assert values["count"] == 3
    assert [item["subject"] for item in values["items"]] == [
        "subject m0",
        "subject m1",
        "subject m2",
    ]

    leader.fold(members, Rendered("en", "3 updates", "all of them"))
    leader.claim(T0, LEASE)
    for member in members:
        member.fold_into(leader.id)
    leader.succeed(T0)

    announced = leader.take_events()
    assert [e.notification_id for e in announced] == [d.id for d in (leader, *members)]  # type: ignore[attr-defined]
    assert (leader.subject, leader.body) == ("3 updates", "all of them")
    assert {m.status for m in members} == {DeliveryStatus.DIGESTED}


def test_notices_folded_before_a_crash_are_not_sent_again() -> None:
    leader, member = pending("m0"), pending("m1")
    leader.fold([member], Rendered("en", "2 updates", "both"))
    leader.claim(T0, LEASE)  # committed; the process died before it marked the member

    todo = plan([leader, member], T0 + timedelta(seconds=1), RateLimit())

    assert todo.repairs == [(member, leader.id)]
    assert todo.leader is None


def test_retries_go_alone_and_do_not_wait_for_the_rate_limit() -> None:
    limit = RateLimit(limit=1, window=timedelta(hours=1))
    sent = delivered_at(T0, "m0")
    retry = pending("m1")
    fail(retry, Outcome.TEMPORARY)

    todo = plan([sent, retry], T0 + timedelta(minutes=1), limit)

    assert (todo.alone, todo.leader) == ([retry], None)


def test_the_signature_verifies_with_a_plain_hmac_of_timestamp_dot_body() -> None:
    secret, body, timestamp = "gateway-secret-0123456789", b'{"a":1}', 1_790_000_000

    header = signature(secret, timestamp, body)

    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), b"1790000000." + body, hashlib.sha256).hexdigest()
    assert fields == {"t": "1790000000", "v1": expected}
    assert signature(secret, timestamp, body + b" ") != header
    assert signature(secret, timestamp + 1, body) != header


def test_the_documented_test_vector_holds() -> None:
    header = signature("whsec-example-0123456789", 1_795_600_000, b'{"delivery_id":"N-1"}')
    assert header == (
        "t=1795600000,v1=6140c934588139bc4ad729189ab319282ee3938a167308d85f8f17ba05672c71"
    )


def test_a_receipt_tells_when_notify_took_the_notice_up_apart_from_when_it_arrived() -> None:
    delivery = pending("m1", T0)
    sent = T0 + timedelta(seconds=7)  # a slow mail relay, not a wait in notify's queue
    delivery.claim(sent, LEASE)
    delivery.succeed(sent)
    (receipt,) = delivery.take_events()
    assert isinstance(receipt, events.NotificationDelivered)
    assert (receipt.taken_up_at, receipt.delivered_at) == (T0, sent)
