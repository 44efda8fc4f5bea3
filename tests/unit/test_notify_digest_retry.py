"""A digest waiting for its retry is checked again before it goes out, as its notices were.

A digest is built (its notices folded into the first, its text rendered) just before its
first attempt. When that attempt failed for a moment, the retry sent the text as built:
an "assigned to you" item whose ticket had since moved on still went out, and so did an
answer time that had passed in the meantime. The retry now builds the digest again from
its notices: an overtaken assignment is left out (``overtaken``), a passed promise is
dropped, and the rest goes out.
"""

from __future__ import annotations

from datetime import timedelta

from contracts.envelope import Event
from services.notify.domain.assignment import Holder
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.notice import Rendered
from services.notify.domain.outcome import Outcome
from services.notify.domain.retried_digest import recheck
from services.notify.domain.templates import ASSIGNED, SLA_WARNING
from tests.factories import T0
from tests.unit.test_notify_overtaken_assignments import (
    KIM,
    SATO,
    Desk,
    assigned,
    delivery,
    resolved,
)
from tests.unit.test_notify_promise_sends import replied, routed, tell, use_the_slot
from tests.unit.test_notify_withdrawn_sends import Desk as TravellerDesk


def resolved_ticket(ticket_id: str, at_minutes: int) -> Event:
    return resolved(at_minutes).model_copy(update={"ticket_id": ticket_id})


async def digest_waiting_for_its_retry(desk: Desk) -> tuple[str, str]:
    """Sato's notices of TC-1 and TC-2 built into one digest whose attempt failed."""
    await desk.take(assigned(SATO.id, 0, "TC-0"), "routed-0")
    await desk.dispatch(SATO)  # the one message the window allows
    (first,) = await desk.take(assigned(SATO.id, 1, "TC-1"), "routed-1")
    desk.clock.advance(timedelta(seconds=1))  # the digest is led by the older notice
    (second,) = await desk.take(assigned(SATO.id, 1, "TC-2"), "routed-2")
    desk.clock.advance(timedelta(minutes=10))
    desk.mailer.fail = Outcome.TEMPORARY
    await desk.dispatch(SATO)
    leader = await desk.notifier.deliveries.get("acme", first.id)
    assert leader is not None
    assert (leader.status, [i.id for i in leader.digest]) == (DeliveryStatus.PENDING, [second.id])
    desk.mailer.fail = None
    return first.id, second.id


async def test_an_overtaken_member_is_left_out_of_the_retried_digest() -> None:
    desk = Desk(rate_limit=1)
    first, second = await digest_waiting_for_its_retry(desk)
    await desk.take(resolved_ticket("TC-2", 12), "resolved-2")

    desk.clock.advance(timedelta(minutes=1))
    await desk.dispatch(SATO)

    sent = desk.mailer.sent[-1]
    assert "TC-1" in sent.subject
    assert "TC-2" not in sent.subject + sent.body
    assert await desk.status(first) is DeliveryStatus.DELIVERED
    assert await desk.status(second) is DeliveryStatus.OVERTAKEN


async def test_an_overtaken_leader_ends_and_the_rest_of_its_digest_goes_out() -> None:
    desk = Desk(rate_limit=1)
    first, second = await digest_waiting_for_its_retry(desk)
    await desk.take(resolved_ticket("TC-1", 12), "resolved-1")

    desk.clock.advance(timedelta(minutes=1))
    await desk.dispatch(SATO)

    sent = desk.mailer.sent[-1]
    assert "TC-2" in sent.subject
    assert "TC-1" not in sent.subject + sent.body
    assert await desk.status(first) is DeliveryStatus.OVERTAKEN
    assert await desk.status(second) is DeliveryStatus.DELIVERED
    leader = await desk.notifier.deliveries.get("acme", first)
    assert leader is not None
    assert leader.digest == []


async def test_a_retried_digest_goes_without_a_promise_that_passed_meanwhile() -> None:
    desk = TravellerDesk()
    await use_the_slot(desk)
    held = await tell(desk, routed(timedelta(0), timedelta(minutes=6)), "routed")
    await tell(desk, replied(), "reply")
    desk.clock.advance(timedelta(minutes=5))  # the slot opens, the promise still ahead
    desk.gateway.fail = Outcome.TEMPORARY
    await desk.dispatch()
    built = await desk.stored(held.id)
    assert built.digest
    assert "expect an answer by" in built.body
    desk.gateway.fail = None

    desk.clock.advance(timedelta(minutes=2))  # the promised time passed
    await desk.dispatch()

    digest = desk.gateway.sent[-1]
    assert digest.delivery_id == held.id
    assert "Your flight is rebooked." in digest.body
    assert "expect an answer by" not in digest.body
    assert "already working on it" in digest.body


def handed_over_digest(member_template: str) -> tuple[Delivery, Delivery]:
    """Sato's digest of TC-1 (its own) and another notice, handed to his next channel."""
    leader = delivery()
    member = delivery(member_template).model_copy(
        update={"id": "N-member", "ticket_id": "TC-2", "status": DeliveryStatus.DIGESTED}
    )
    leader.fold([member], Rendered("en", "2 updates", "…"))
    return leader.model_copy(update={"fallback_of": "N-failed"}), member


def test_a_handed_over_digest_whose_own_assignment_ended_carries_the_rest_on() -> None:
    """Back on their own, the carried notices would go to the channel that failed them."""
    leader, member = handed_over_digest(SLA_WARNING)
    ended = {"TC-1": Holder("TC-1", KIM.id, T0)}

    check = recheck(leader, [member], ended, T0)

    assert (check.leader_overtaken, check.kept, check.changed) == (False, [member], False)


def test_a_handed_over_digest_left_with_nothing_ends_overtaken() -> None:
    leader, member = handed_over_digest(ASSIGNED)
    ended = {"TC-1": Holder("TC-1", KIM.id, T0), "TC-2": Holder("TC-2", None, T0)}

    check = recheck(leader, [member], ended, T0)

    assert (check.leader_overtaken, check.overtaken, check.kept) == (True, [member], [])
