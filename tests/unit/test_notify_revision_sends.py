"""A disruption notice that has not gone out is never sent once a newer revision was told:
not on a retry after its channel failed for a moment, not when its rate-limit slot opens,
not inside a digest. Only its fallback used to check: a retry told the traveller "delayed"
after "cancelled". Such a delivery ends ``superseded`` (the delivery log shows it), with no
``notification.failed`` and no fallback.
"""

from __future__ import annotations

from datetime import timedelta

from contracts import events
from contracts.events import Channel, ReplyChannel, Traveller
from services.notify.domain.delivery import Delivery, DeliveryStatus, delivery_id
from services.notify.domain.outcome import Outcome
from tests.factories import envelope
from tests.unit.test_incident_revision_order import notice
from tests.unit.test_notify_withdrawn_sends import Desk

MEI = Traveller(
    id="trav-42", language="en", email="mei@acme.example", preferred_channel=ReplyChannel.EMAIL
)


def by_mail(revision: int, kind: str) -> events.DisruptionNotice:
    return notice(revision, kind).model_copy(update={"traveller": MEI, "channel": Channel.EMAIL})


async def tell(desk: Desk, revision: int, kind: str) -> Delivery:
    message_id = f"n-{revision}"
    await desk.notifier.disruption_notice(envelope(by_mail(revision, kind), message_id=message_id))
    return await desk.stored(delivery_id(message_id, MEI.id, ReplyChannel.EMAIL))


def sent_bodies(desk: Desk) -> list[str]:
    return [m.body for m in desk.gateway.sent]


async def test_a_retry_of_an_overtaken_revision_is_not_sent() -> None:
    desk = Desk()
    delayed = await tell(desk, 1, "flight_delayed")
    desk.gateway.fail = Outcome.TEMPORARY
    await desk.dispatch()
    assert (await desk.stored(delayed.id)).status is DeliveryStatus.PENDING

    desk.gateway.fail = None
    desk.clock.advance(timedelta(minutes=10))
    cancelled = await tell(desk, 2, "flight_cancelled")
    await desk.dispatch()
    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent] == [cancelled.id]
    stored = await desk.stored(delayed.id)
    assert (stored.status, stored.attempts, stored.due_ms) == (DeliveryStatus.SUPERSEDED, 1, None)
    assert "notification.failed" not in desk.outbox.routing_keys


async def test_an_overtaken_revision_held_for_a_rate_limit_slot_is_not_sent() -> None:
    desk = Desk()
    await desk.notifier.notify(envelope(by_mail(1, "flight_delayed"), message_id="earlier"))
    await desk.dispatch()  # the one message the window allows
    delayed = await tell(desk, 2, "flight_delayed")
    await desk.dispatch()
    assert (await desk.stored(delayed.id)).next_attempt_at is not None, "held for a slot"

    cancelled = await tell(desk, 3, "flight_cancelled")
    desk.clock.advance(timedelta(minutes=10))
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent][1:] == [cancelled.id]
    assert len(desk.gateway.sent) == 2
    assert "cancelled" in sent_bodies(desk)[1]
    assert (await desk.stored(delayed.id)).status is DeliveryStatus.SUPERSEDED


async def test_an_overtaken_revision_is_left_out_of_the_digest() -> None:
    """Both were written while each was the newest, before the dispatcher came: only the
    newer goes out, alone, not a digest telling "delayed" and then "cancelled"."""
    desk = Desk()
    delayed = await tell(desk, 1, "flight_delayed")
    cancelled = await tell(desk, 2, "flight_cancelled")
    await desk.dispatch()

    assert [m.delivery_id for m in desk.gateway.sent] == [cancelled.id]
    assert (await desk.stored(cancelled.id)).digest == []
    assert (await desk.stored(delayed.id)).status is DeliveryStatus.SUPERSEDED
