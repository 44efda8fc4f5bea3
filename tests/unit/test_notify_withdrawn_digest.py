"""A withdrawn survey folded with other updates: the digest goes out without it.

A survey and the resolution it follows often reach the traveller within one rate-limit
window and go out as one digest. Withdrawn while they wait, the survey ends ``withdrawn``
and the others still go out, as their own digest. Withdrawn while the dispatcher builds
the digest, the members are folded before the leader is claimed, so a member the
withdrawal changed makes that round give up (nothing claimed, nothing sent, the folded
ones released) and the next round builds the digest without it; it used to go out
inside the digest, the failed fold ignored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts import events
from services.notify.domain.delivery import Delivery, DeliveryStatus
from tests.factories import T0, envelope
from tests.unit.test_notify_withdrawn_sends import LI, SURVEY, Desk


def replied(n: int) -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id="TC-9",
        channel=events.Channel.EMAIL,
        traveller=LI,
        author="agent-7",
        message=f"update {n}",
        first_response=n == 0,
        replied_at=T0,
    )


async def held(desk: Desk) -> tuple[Delivery, list[Delivery]]:
    """One message sent (the window's only slot); then a reply, the survey and a reply,
    all held for the next slot."""
    await desk.notifier.notify(envelope(replied(0), message_id="r0"))
    await desk.dispatch()
    (first,) = await desk.notifier.notify(envelope(replied(1), message_id="r1"))
    desk.clock.advance(timedelta(seconds=1))
    survey = await desk.survey_sent()
    desk.clock.advance(timedelta(seconds=1))
    (second,) = await desk.notifier.notify(envelope(replied(2), message_id="r2"))
    await desk.dispatch()
    return survey, [first, second]


async def test_a_survey_withdrawn_while_held_is_left_out_of_the_digest() -> None:
    desk = Desk()
    survey, updates = await held(desk)

    await desk.withdraw()
    desk.clock.advance(timedelta(minutes=10))
    await desk.dispatch()

    digest = desk.gateway.sent[-1]
    assert len(desk.gateway.sent) == 2
    assert (digest.delivery_id, "update 1" in digest.body) == (updates[0].id, True)
    assert "update 2" in digest.body
    assert SURVEY not in digest.body
    assert "survey" not in digest.body.lower()
    assert (await desk.stored(survey.id)).status is DeliveryStatus.WITHDRAWN
    assert (await desk.stored(updates[1].id)).status is DeliveryStatus.DIGESTED


async def test_a_survey_withdrawn_while_the_digest_is_built_is_left_out_of_it() -> None:
    desk = Desk()
    survey, updates = await held(desk)
    desk.clock.advance(timedelta(minutes=10))
    deliveries = desk.notifier.deliveries
    save = deliveries.save

    async def withdrawal_meanwhile(aggregate: Delivery, *args: Any, **kwargs: Any) -> None:
        if aggregate.status is not DeliveryStatus.PENDING:  # the dispatcher's first write
            deliveries.save = save  # type: ignore[method-assign]
            await desk.withdraw()
        await save(aggregate, *args, **kwargs)

    deliveries.save = withdrawal_meanwhile  # type: ignore[method-assign]
    await desk.dispatch()
    await desk.dispatch()

    assert len(desk.gateway.sent) == 2, "the first message and one digest"
    digest = desk.gateway.sent[-1]
    assert ("update 1" in digest.body, "update 2" in digest.body) == (True, True)
    assert "survey" not in digest.body.lower()
    assert (await desk.stored(survey.id)).status is DeliveryStatus.WITHDRAWN
    for update in updates:
        assert (await desk.stored(update.id)).status in {
            DeliveryStatus.DELIVERED,
            DeliveryStatus.DIGESTED,
        }
