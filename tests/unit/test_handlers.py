"""Handlers wired to the bus, driven through FastStream's in-memory test broker.

The broker here ignores ack/nack (dead-lettering is tested against the real
broker in tests/integration); these tests check typed dispatch, idempotency
and what each handler commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faststream.rabbit import TestRabbitBroker
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.topology import SUBSCRIPTIONS, Topology
from runtime.admission import LagWindow
from runtime.bus import Bus
from runtime.clock import FakeClock
from runtime.settings import Settings
from runtime.signing import Signer
from runtime.store import Repository
from runtime.telemetry import setup_tracing
from services.feedback.main import bootstrap as feedback_app
from services.intake.config import IntakeSettings
from services.intake.domain import Ticket, TicketStatus, thread_key_for, ticket_id_for
from services.intake.main import bootstrap as intake_app
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.intake.subscribers import register as intake_subscribers
from services.notify import subscribers as notify_subscribers
from services.notify.config import NotifySettings
from services.notify.domain.delivery import Delivery
from services.notify.main import bootstrap as notify_app
from services.notify.render import Renderer
from services.notify.service import Notifier
from services.routing.main import bootstrap as routing_app
from tests.factories import T0, TRAVELLER, contact, envelope
from tests.fakes import FakeDatabase, RecordingOutbox


def make_bus(service: str) -> Bus:
    settings = Settings(service=service, namespace="unit")
    return Bus(
        settings,
        Topology("unit"),
        registry=CollectorRegistry(),
        tracer_provider=setup_tracing(service),
    )


def repository(model: type[Any], outbox: RecordingOutbox) -> Repository[Any]:
    return Repository(FakeDatabase(), "docs", model, outbox, FakeClock(T0))  # type: ignore[arg-type]


def body(payload: events.Event, message_id: str = "m-1") -> bytes:
    return envelope(payload, message_id=message_id).model_dump_json().encode()


async def test_a_contact_on_the_bus_opens_one_ticket_however_often_it_is_delivered() -> None:
    bus, outbox = make_bus("intake"), RecordingOutbox()
    tickets = repository(Ticket, outbox)
    intake_subscribers(
        bus, Intake(TicketStore(tickets), FakeClock(T0), Signer("s" * 32), "http://intake")
    )

    async with TestRabbitBroker(bus.broker) as broker:
        for message_id in ("m-1", "m-1", "m-2"):
            await broker.publish(
                body(contact(), message_id),
                exchange=bus.events_exchange,
                routing_key="contact.received",
            )

    ticket = await tickets.get("acme", ticket_id_for("acme", thread_key_for(contact())))
    assert ticket is not None
    assert ticket.status is TicketStatus.ACKNOWLEDGED
    assert outbox.routing_keys == ["ticket.opened", "ticket.acknowledged"]


async def test_each_delivered_acknowledgement_tells_intake_how_long_it_waited_for_notify() -> None:
    bus, outbox = make_bus("intake"), RecordingOutbox()
    tickets = repository(Ticket, outbox)
    window = LagWindow(least=1)
    intake_subscribers(
        bus, Intake(TicketStore(tickets), FakeClock(T0), Signer("s" * 32), "http://intake"), window
    )
    ticket_id = ticket_id_for("acme", thread_key_for(contact()))

    def delivered(
        template: str, after: timedelta, taken_up_after: timedelta | None
    ) -> events.NotificationDelivered:
        return events.NotificationDelivered(
            notification_id=f"n-{template}",
            ticket_id=ticket_id,
            recipient="trav-42",
            channel="email",
            template=template,
            language="zh-Hans",
            source_message_id="m",
            delivered_at=T0 + after,
            taken_up_at=None if taken_up_after is None else T0 + taken_up_after,
        )

    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(
            body(contact()), exchange=bus.events_exchange, routing_key="contact.received"
        )
        for template, after, taken_up_after, message_id in (
            ("ticket_routed", timedelta(seconds=9), None, "d-1"),
            # notify took it up 0.4 s after the contact; the mail relay took 2.6 s more
            (events.ACKNOWLEDGEMENT_TEMPLATE, timedelta(seconds=3), timedelta(seconds=0.4), "d-2"),
        ):
            await broker.publish(
                body(delivered(template, after, taken_up_after), message_id),
                exchange=bus.events_exchange,
                routing_key="notification.delivered",
            )

    assert window.median() == 0.4


async def test_a_redelivered_event_is_delivered_to_the_inbox_once() -> None:
    bus, outbox = make_bus("notify"), RecordingOutbox()
    deliveries = repository(Delivery, outbox)
    bus.broker.context.set_global("notifier", Notifier(deliveries, Renderer(), FakeClock(T0)))
    notify_subscribers.register(bus)
    acknowledged = events.TicketAcknowledged(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=TRAVELLER,
        tracking_url="https://t/x",
        acknowledged_at=T0,
    )

    async with TestRabbitBroker(bus.broker) as broker:
        for _ in range(3):
            await broker.publish(
                body(acknowledged, "ack-1"),
                exchange=bus.events_exchange,
                routing_key="ticket.acknowledged",
            )

    assert outbox.routing_keys == ["notification.delivered"]


def test_each_service_subscribes_to_exactly_what_the_contracts_say() -> None:
    apps = {
        "intake": intake_app,
        "routing": routing_app,
        "notify": notify_app,
        "feedback": feedback_app,
    }
    for service, bootstrap in apps.items():
        settings = {"intake": IntakeSettings, "notify": NotifySettings}.get(service, Settings)
        app = bootstrap(settings(service=service, namespace="unit"))  # type: ignore[arg-type]
        assert set(app.state.runtime.bus.subscribed) == set(SUBSCRIPTIONS[service]), service
