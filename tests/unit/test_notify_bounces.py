"""A mail notify sent came back (``notification.bounced``, from intake): the delivery that sent
it, found by the Message-ID it was sent with, is failed as if its channel had given up, and
hands over to the next channel once, however often the bounce is delivered."""

from __future__ import annotations

from datetime import timedelta

from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.envelope import Envelope, Event
from contracts.events import ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.lag_reports import LagReporter
from services.notify import subscribers
from services.notify.domain.bounces import bounce_error, bounced_delivery
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.notice import Notice, Rendered
from services.notify.domain.route import Hop
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import body, make_bus, repository

ANCHOR = "<TC-1@tripcare.mail>"
LATER = T0 + timedelta(minutes=3)
ROUTE = [
    Hop(channel=ReplyChannel.EMAIL, address="li.lei@acme.example"),
    Hop(channel=ReplyChannel.SMS, address="+8613800000000"),
]


def sent(
    message_id: str | None = None, address: str = "li.lei@acme.example", source: str = "routed-1"
) -> Delivery:
    """An e-mail delivery the SMTP server accepted, with the Message-ID it went out with (by
    default its own, naming its delivery id, as ``mail_thread.compose`` writes it)."""
    notice = Notice("TC-1", Traveller(id="trav-1", language="en"), "ticket_routed", {})
    route = [Hop(channel=ReplyChannel.EMAIL, address=address), *ROUTE[1:]]
    delivery = Delivery.create(
        "acme", notice, Rendered("en", "s", "b"), route, source_message_id=source, now=T0
    )
    delivery.claim(T0, timedelta(seconds=30))
    delivery.succeed(T0, message_id=message_id or f"<TC-1.{delivery.id}@tripcare.mail>")
    delivery.take_events()
    return delivery


NOTICE_ID = sent().message_id or ""


def bounced(
    message_id: str = NOTICE_ID,
    recipient: str | None = "li.lei@acme.example",
    delivery_id: str | None = None,
) -> events.NotificationBounced:
    return events.NotificationBounced(
        ticket_id="TC-1",
        message_id=message_id,
        recipient=recipient,
        delivery_id=delivery_id,
        status="5.1.1",
        diagnostic="smtp; 550 5.1.1 User unknown",
        bounced_at=LATER,
    )


def test_a_bounced_delivery_fails_and_says_why() -> None:
    delivery = sent()

    delivery.bounce(LATER, bounce_error(bounced()))

    assert (delivery.status, delivery.failed_at) == (DeliveryStatus.FAILED, LATER)
    assert delivery.error == "bounced: 5.1.1 smtp; 550 5.1.1 User unknown"
    (failed,) = delivery.take_events()
    assert isinstance(failed, events.NotificationFailed)
    assert (failed.notification_id, failed.channel, failed.error) == (
        delivery.id,
        "email",
        delivery.error,
    )


def test_a_second_bounce_changes_nothing() -> None:
    delivery = sent()
    delivery.bounce(LATER, "bounced")
    delivery.take_events()

    delivery.bounce(LATER + timedelta(minutes=1), "bounced again")

    assert (delivery.error, delivery.failed_at) == ("bounced", LATER)
    assert delivery.take_events() == []


def test_a_bounce_without_a_report_is_still_a_failure() -> None:
    plain = bounced().model_copy(update={"status": None, "diagnostic": None})
    assert bounce_error(plain) == "bounced: the mail came back undelivered"


def test_the_next_channel_starts_afresh_not_as_sent() -> None:
    delivery = sent()
    delivery.bounce(LATER, "bounced")

    following = delivery.next_delivery(LATER)

    assert following is not None
    assert following.channel is ReplyChannel.SMS
    assert (following.status, following.message_id, following.delivered_at) == (
        DeliveryStatus.PENDING,
        None,
        None,
    )


def test_the_bounce_names_the_delivery_by_message_id_and_recipient() -> None:
    """The acknowledgement to a traveller and their booker shares the ticket's anchor id: the
    returned mail's delivery id proves which one came back."""
    traveller = sent(ANCHOR, "li.lei@acme.example", "ack-1")
    booker = sent(ANCHOR, "booker@acme.example", "ack-2")

    def named(recipient: str | None, delivery_id: str | None = traveller.id) -> Delivery | None:
        return bounced_delivery([traveller, booker], bounced(ANCHOR, recipient, delivery_id))

    assert named("Li.Lei@acme.example") is traveller
    assert named(None) is traveller
    assert named(None, booker.id) is booker
    assert named("li.lei@acme.example", booker.id) is None, "the refused address is not hers"
    assert named("someone@else.example") is None
    assert bounced_delivery([], bounced(ANCHOR, "li.lei@acme.example", traveller.id)) is None


def test_a_bounce_naming_our_own_message_id_names_its_delivery() -> None:
    notice = sent()

    assert bounced_delivery([notice], bounced(NOTICE_ID)) is notice
    assert bounced_delivery([notice], bounced(NOTICE_ID, None)) is notice


def test_a_forged_bounce_naming_only_the_thread_id_names_no_delivery() -> None:
    """Anyone who knows the public ticket id can write ``<TC-1@tripcare.mail>`` and the
    traveller's address: that alone must not give up her e-mail."""
    ack = sent(ANCHOR, "li.lei@acme.example", "ack-1")

    assert bounced_delivery([ack], bounced(ANCHOR, "li.lei@acme.example")) is None
    assert bounced_delivery([ack], bounced(ANCHOR, None)) is None
    assert bounced_delivery([ack], bounced(ANCHOR, None, "N-0123456789abcdef0123")) is None


async def test_a_forged_bounce_of_the_acknowledgement_changes_nothing_for_delivery() -> None:
    bus, outbox = make_bus("notify"), RecordingOutbox()
    deliveries = repository(Delivery, outbox)
    notifier = Notifier(
        deliveries, Renderer(), FakeClock(LATER), available=frozenset({ReplyChannel.SMS})
    )
    subscribers.register(bus, notifier, LagReporter(bus, FakeClock(T0)))
    ack = sent(ANCHOR, "li.lei@acme.example", "ack-1")
    await deliveries.add(ack)

    async with TestRabbitBroker(bus.broker) as broker:
        forged = bounced(ANCHOR, "li.lei@acme.example")
        await broker.publish(
            body(forged, "forged-1"), exchange=bus.events_exchange, routing_key=forged.schema_name
        )

    stored = await deliveries.get("acme", ack.id)
    assert stored is not None
    assert (stored.status, stored.error) == (DeliveryStatus.DELIVERED, None)
    assert [m for m in outbox.messages if m.routing_key == "notification.failed"] == []


async def test_a_bounce_fails_the_delivery_once_and_the_next_channel_takes_over() -> None:
    bus, outbox = make_bus("notify"), RecordingOutbox()
    deliveries = repository(Delivery, outbox)
    notifier = Notifier(
        deliveries, Renderer(), FakeClock(LATER), available=frozenset({ReplyChannel.SMS})
    )
    subscribers.register(bus, notifier, LagReporter(bus, FakeClock(T0)))
    mail = sent()
    await deliveries.add(mail)

    async def publish(event: Event, message_id: str) -> None:
        await broker.publish(
            body(event, message_id), exchange=bus.events_exchange, routing_key=event.schema_name
        )

    async with TestRabbitBroker(bus.broker) as broker:
        await publish(bounced("<TC-1.N-unknown@tripcare.mail>"), "bounce-0")
        for message_id in ("bounce-1", "bounce-1", "bounce-2"):
            await publish(bounced(), message_id)
        failures = [m for m in outbox.messages if m.routing_key == "notification.failed"]
        assert len({m.message_id for m in failures}) == 1
        announced = Envelope[events.NotificationFailed].model_validate_json(failures[0].body)
        await publish(announced.payload, "failed-1")

    stored = await deliveries.get("acme", mail.id)
    assert stored is not None
    assert (stored.status, stored.error) == (
        DeliveryStatus.FAILED,
        "bounced: 5.1.1 smtp; 550 5.1.1 User unknown",
    )
    found = [d async for d in deliveries.collection.find({"fallback_of": mail.id})]
    assert [(d["channel"], d["status"]) for d in found] == [("sms", "pending")]
