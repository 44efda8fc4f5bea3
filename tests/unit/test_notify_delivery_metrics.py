"""Notify's /metrics says what the channels took, retried and gave up on, by channel and
outcome, and how much the dispatcher has in hand; a final failure is logged at WARNING
with the delivery and ticket ids and nothing personal.

With the SMTP sink dead every e-mail failed after five attempts, and all that showed was
one INFO line per attempt without the ticket: /metrics had only outbox, store-batch and
HTTP series."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from contracts import events
from contracts.events import ReplyChannel
from runtime.clock import FakeClock
from runtime.store import Repository
from services.notify.channels.registry import Channels
from services.notify.config import NotifySettings
from services.notify.dispatcher import Dispatcher
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.outcome import Outcome
from services.notify.metrics import DeliveryMetrics
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_notify_withdrawn_sends import LI, Gateway, sent

EMAIL = {"channel": "email"}


class Desk:
    """Notify's consumer side and dispatcher over one in-memory store, metrics on a registry."""

    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.registry = CollectorRegistry()
        deliveries: Repository[Delivery] = Repository(
            FakeDatabase(),  # type: ignore[arg-type]
            "deliveries",
            Delivery,
            RecordingOutbox(),
            self.clock,
        )
        self.gateway = Gateway()
        channels = Channels(NotifySettings(smtp_host=""), self.clock)
        channels.use(ReplyChannel.EMAIL, self.gateway)
        metrics = DeliveryMetrics(self.registry)
        self.notifier = Notifier(
            deliveries, Renderer(), self.clock, available=channels.available, metrics=metrics
        )
        self.dispatcher = Dispatcher(
            deliveries,
            channels,
            Renderer(),
            self.clock,
            NotifySettings(smtp_host=""),
            jitter=lambda: 0.0,
            metrics=metrics,
        )

    async def mail(self, message_id: str = "m-1") -> Delivery:
        survey = sent("S-TC-9-1")
        (delivery,) = await self.notifier.notify(envelope(survey, message_id=message_id))
        return delivery

    async def dispatch(self) -> None:
        await self.dispatcher._serve(("acme", LI.id, ReplyChannel.EMAIL))
        self.clock.advance(timedelta(hours=1))

    def value(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0


async def test_a_mail_that_goes_out_counts_as_sent() -> None:
    desk = Desk()
    await desk.mail()

    await desk.dispatch()

    assert desk.value("notify_deliveries_sent_total", **EMAIL) == 1
    assert desk.value("notify_delivery_retries_total", **EMAIL, outcome="temporary") == 0


async def test_a_dead_mail_sink_shows_as_retries_then_one_final_failure_logged_at_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    desk = Desk()
    delivery = await desk.mail()
    desk.gateway.fail = Outcome.TEMPORARY

    with caplog.at_level(logging.INFO, logger="services.notify"):
        for _ in range(5):
            await desk.dispatch()

    stored = await desk.notifier.deliveries.get("acme", delivery.id)
    assert stored is not None
    assert stored.status is DeliveryStatus.FAILED
    assert desk.value("notify_delivery_retries_total", **EMAIL, outcome="temporary") == 4
    assert desk.value("notify_deliveries_failed_total", **EMAIL, outcome="temporary") == 1
    assert desk.value("notify_deliveries_sent_total", **EMAIL) == 0
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert delivery.id in warning.getMessage()
    assert "TC-9" in warning.getMessage()
    assert LI.email is not None
    assert LI.email not in warning.getMessage()
    assert "gateway said no" not in warning.getMessage(), "a channel's answer may name people"


async def test_a_refused_mail_fails_at_once_as_permanent() -> None:
    desk = Desk()
    await desk.mail()
    desk.gateway.fail = Outcome.PERMANENT

    await desk.dispatch()

    assert desk.value("notify_deliveries_failed_total", **EMAIL, outcome="permanent") == 1
    assert desk.value("notify_delivery_retries_total", **EMAIL, outcome="permanent") == 0


async def test_a_bounced_mail_counts_once_as_a_final_failure() -> None:
    """The dispatcher never sees a bounce: it came back after the channel took the mail."""
    desk = Desk()
    delivery = await desk.mail()
    await desk.dispatch()
    assert LI.email is not None
    bounce = events.NotificationBounced(
        ticket_id="TC-9",
        message_id=f"<{delivery.id}@mail.test>",
        recipient=LI.email,
        status="5.1.1",
        bounced_at=desk.clock.now(),
    )

    for message_id in ("bounce-1", "bounce-1", "bounce-2"):
        await desk.notifier.bounced(envelope(bounce, message_id=message_id))

    assert desk.value("notify_deliveries_failed_total", **EMAIL, outcome="bounced") == 1
    assert desk.value("notify_deliveries_sent_total", **EMAIL) == 1


async def test_an_attempt_whose_process_died_counts_as_an_interrupted_retry() -> None:
    desk = Desk()
    delivery = await desk.mail()
    stored = await desk.notifier.deliveries.get("acme", delivery.id)
    assert stored is not None
    stored.claim(desk.clock.now(), timedelta(seconds=30))
    await desk.notifier.deliveries.save(stored)
    desk.clock.advance(timedelta(minutes=1))

    await desk.dispatch()

    assert desk.value("notify_delivery_retries_total", **EMAIL, outcome="interrupted") == 1


async def test_the_dispatchers_hand_is_a_gauge_read_without_the_store() -> None:
    desk = Desk()
    desk.dispatcher.due(await desk.mail())  # queued: the dispatcher is not running

    exposed = generate_latest(desk.registry).decode()

    assert "# HELP notify_dispatch_recipients " in exposed
    assert desk.value("notify_dispatch_recipients", state="queued") == 1
    assert desk.value("notify_dispatch_recipients", state="serving") == 0
    for name in ("notify_deliveries_sent", "notify_deliveries_failed", "notify_delivery_retries"):
        assert f"# HELP {name}_total " in exposed
