"""Handlers wired to the bus, driven through FastStream's in-memory test broker.

The broker here ignores ack/nack (dead-lettering is tested against the real
broker in tests/integration); these tests check typed dispatch, idempotency
and what each handler commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from faststream.rabbit import TestRabbitBroker
from prometheus_client import CollectorRegistry

from contracts import events
from contracts.admission import AcknowledgementLags
from contracts.topology import SUBSCRIPTIONS, Topology
from runtime.admission import LagWindow
from runtime.bus import Bus
from runtime.clock import FakeClock
from runtime.lag_reports import LagReporter, hear_lag_reports
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


def acknowledgement(ticket_id: str, acknowledged_at: datetime) -> events.TicketAcknowledged:
    return events.TicketAcknowledged(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=TRAVELLER,
        tracking_url="https://t/x",
        acknowledged_at=acknowledged_at,
    )


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


async def test_notify_reports_how_long_each_acknowledgement_waited_until_it_took_it_up() -> None:
    bus, clock = make_bus("notify"), FakeClock(T0 + timedelta(seconds=0.4))
    lags = LagReporter(bus, clock, reporter="notify-1")
    notifier = Notifier(repository(Delivery, RecordingOutbox()), Renderer(), clock)
    notify_subscribers.register(bus, notifier, lags)

    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(
            body(acknowledgement("TC-1", acknowledged_at=T0), "ack-1"),
            exchange=bus.events_exchange,
            routing_key="ticket.acknowledged",
        )

    report = lags.report()
    assert report is not None
    assert (report.reporter, report.lags_s) == ("notify-1", [0.4])
    assert lags.report() is None, "each report carries what came after the last one"


async def test_every_intake_replica_hears_the_lag_reports_and_ignores_garbage() -> None:
    windows = [LagWindow(least=1), LagWindow(least=1)]
    buses = [make_bus("intake"), make_bus("intake")]
    for bus, window in zip(buses, windows, strict=True):
        hear_lag_reports(bus, window, FakeClock(T0))
    report = AcknowledgementLags(reporter="notify-1", lags_s=[0.2, 0.4, 3.0], reported_at=T0)

    for bus in buses:
        async with TestRabbitBroker(bus.broker) as broker:
            await broker.publish(
                b'{"reporter": "x", "lags_s": []}', exchange=bus.admission_exchange
            )
            await broker.publish(report.model_dump_json().encode(), exchange=bus.admission_exchange)

    assert [w.median() for w in windows] == [0.4, 0.4]


async def test_a_redelivered_event_is_delivered_to_the_inbox_once() -> None:
    bus, outbox = make_bus("notify"), RecordingOutbox()
    deliveries = repository(Delivery, outbox)
    notify_subscribers.register(
        bus, Notifier(deliveries, Renderer(), FakeClock(T0)), LagReporter(bus, FakeClock(T0))
    )
    acknowledged = acknowledgement("TC-1", acknowledged_at=T0)

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
