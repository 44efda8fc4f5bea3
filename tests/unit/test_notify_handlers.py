"""Notify's consumers through the in-memory broker: deliveries are created once per
(event, recipient, channel), the dispatcher is woken for push channels, and a failed
channel hands over to the next one once, however often its failure is delivered.
"""

from __future__ import annotations

from typing import Any

from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.envelope import Envelope, Event
from contracts.events import ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.lag_reports import LagReporter
from runtime.store import Repository
from services.notify import subscribers
from services.notify.domain.delivery import Delivery, DeliveryStatus, delivery_id
from services.notify.domain.outcome import Outcome
from services.notify.domain.retry import RetryPolicy
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_handlers import acknowledgement, body, make_bus, repository
from tests.unit.test_notify import routed

TRAVELLER = Traveller(
    id="trav-1",
    language="ja",
    im_user_id="wx-1",
    phone="+8613800000000",
    preferred_channel=ReplyChannel.WECOM,
    fallback_channels=[ReplyChannel.SMS],
)


async def test_a_push_delivery_is_created_once_and_falls_back_once() -> None:
    bus, outbox = make_bus("notify"), RecordingOutbox()
    deliveries = repository(Delivery, outbox)
    wakes: list[None] = []
    notifier = Notifier(
        deliveries,
        Renderer(),
        FakeClock(T0),
        available=frozenset({ReplyChannel.WECOM, ReplyChannel.SMS}),
        on_pending=lambda _: wakes.append(None),
    )
    subscribers.register(bus, notifier, LagReporter(bus, FakeClock(T0)))
    acknowledged = events.TicketAcknowledged(
        ticket_id="TC-1",
        channel=events.Channel.WEB_CHAT,
        traveller=TRAVELLER,
        tracking_url="https://t/x",
        acknowledged_at=T0,
    )
    wecom_id = delivery_id("ack-1", "trav-1", "wecom")

    async def publish(event: Event, message_id: str) -> None:
        await broker.publish(
            body(event, message_id), exchange=bus.events_exchange, routing_key=event.schema_name
        )

    async with TestRabbitBroker(bus.broker) as broker:
        for _ in range(2):
            await publish(acknowledged, "ack-1")
        wecom = await deliveries.get("acme", wecom_id)
        assert wecom is not None
        assert (wecom.status, wecom.language, len(wakes)) == (DeliveryStatus.PENDING, "ja", 1)

        wecom.claim(T0, RetryPolicy().cap)
        wecom.attempt_failed(T0, "HTTP 404", Outcome.PERMANENT, RetryPolicy(), 0.0)
        await deliveries.save(wecom)
        announced = Envelope[events.NotificationFailed].model_validate_json(
            outbox.messages[-1].body
        )
        failed = announced.payload
        for _ in range(2):
            await publish(failed, "failed-1")

    sms = await deliveries.get("acme", delivery_id("ack-1", "trav-1", "sms"))
    assert sms is not None
    assert (sms.fallback_of, sms.address, sms.status) == (wecom_id, "+8613800000000", "pending")
    assert len(wakes) == 2


class PatienceSpy(Repository[Delivery]):
    """Notes whether each delivery's insert may wait for company (``patient``)."""

    def __init__(self, outbox: RecordingOutbox) -> None:
        super().__init__(FakeDatabase(), "docs", Delivery, outbox, FakeClock(T0))  # type: ignore[arg-type]
        self.inserts: list[tuple[str, bool]] = []

    async def add(
        self, aggregate: Delivery, cause: Envelope[Any] | None = None, *, patient: bool = False
    ) -> None:
        self.inserts.append((aggregate.template, patient))
        await super().add(aggregate, cause, patient=patient)


async def test_only_the_acknowledgement_is_inserted_at_once() -> None:
    """The traveller and intake's admission wait on the acknowledgement; a routed notice
    may wait ``consumer_linger_ms`` to share the store command with others."""
    bus = make_bus("notify")
    deliveries = PatienceSpy(RecordingOutbox())
    notifier = Notifier(deliveries, Renderer(), FakeClock(T0))
    subscribers.register(bus, notifier, LagReporter(bus, FakeClock(T0)))

    async with TestRabbitBroker(bus.broker) as broker:
        for event, message_id in ((acknowledgement("TC-1", T0), "ack-1"), (routed(), "routed-1")):
            await broker.publish(
                body(event, message_id), exchange=bus.events_exchange, routing_key=event.schema_name
            )

    assert deliveries.inserts == [("ticket_acknowledged", False), ("ticket_routed", True)]
