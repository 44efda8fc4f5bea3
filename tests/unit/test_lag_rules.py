"""The acknowledgement lag intake sheds on is notify falling behind, nothing else.

After a broker cut, intake shed contacts with 503 for 12–17 s although every service was
ready: notify counted each acknowledgement's lag from intake's commit, so the ones the
sweeper republished from the outbox after the cut brought their whole outbox wait (which
``outbox_backlog`` already answers for) and held the median over the target until the
last of them left the 2 s window; and intake counted a report that reached it late as
fresh. Now the lag runs from the later of the commit and the publication, and a report
older than the window is not heard.
"""

from __future__ import annotations

from datetime import timedelta

from faststream.rabbit import RabbitQueue, TestRabbitBroker
from faststream.rabbit.annotations import RabbitMessage

from contracts.admission import AcknowledgementLags
from runtime.admission import LagWindow
from runtime.aggregate import OutboxMessage
from runtime.bus import PUBLISHED_HEADER, published_at
from runtime.clock import FakeClock, epoch_ms
from runtime.lag_reports import LagReporter, hear_lag_reports
from services.notify import subscribers as notify_subscribers
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import acknowledgement, body, make_bus, repository

NOW = T0 + timedelta(seconds=30.4)


def lags_seen(reporter: LagReporter) -> list[float]:
    report = reporter.report()
    assert report is not None
    return [round(lag, 3) for lag in report.lags_s]


def test_an_acknowledgement_held_in_the_outbox_counts_from_its_publication() -> None:
    lags = LagReporter(make_bus("notify"), FakeClock(NOW))

    lags.taken_up(T0, published_at=T0 + timedelta(seconds=30))

    assert lags_seen(lags) == [0.4]


def test_without_a_publication_time_it_counts_from_the_commit() -> None:
    lags = LagReporter(make_bus("notify"), FakeClock(NOW))

    lags.taken_up(T0)
    lags.taken_up(T0, published_at=T0 - timedelta(seconds=1))  # the publisher's clock behind

    assert lags_seen(lags) == [30.4, 30.4]


async def test_the_bus_stamps_each_publication_with_its_time() -> None:
    bus = make_bus("intake")
    stamps: list[object] = []

    @bus.broker.subscriber(
        RabbitQueue("seen", routing_key="ticket.acknowledged"), bus.events_exchange
    )
    async def seen(message: RabbitMessage) -> None:
        stamps.append(message.headers.get(PUBLISHED_HEADER))

    async with TestRabbitBroker(bus.broker):
        await bus.publish(
            OutboxMessage(
                message_id="m-1",
                correlation_id="TC-1",
                routing_key="ticket.acknowledged",
                body="{}",
            )
        )

    (stamp,) = stamps
    assert isinstance(stamp, int)
    assert published_at(stamp) is not None
    assert published_at(None) is None
    assert published_at("garbage") is None


async def test_notify_counts_from_the_publication_the_message_carries() -> None:
    bus, clock = make_bus("notify"), FakeClock(NOW)
    lags = LagReporter(bus, clock, reporter="notify-1")
    notifier = Notifier(repository(Delivery, RecordingOutbox()), Renderer(), clock)
    notify_subscribers.register(bus, notifier, lags)

    async with TestRabbitBroker(bus.broker) as broker:
        await broker.publish(
            body(acknowledgement("TC-1", acknowledged_at=T0), "ack-1"),
            exchange=bus.events_exchange,
            routing_key="ticket.acknowledged",
            headers={PUBLISHED_HEADER: epoch_ms(T0 + timedelta(seconds=30))},
        )

    assert lags_seen(lags) == [0.4]


async def test_intake_does_not_hear_a_report_older_than_its_window() -> None:
    window = LagWindow(window_s=2.0, least=1)
    bus = make_bus("intake")
    hear_lag_reports(bus, window, FakeClock(T0 + timedelta(seconds=10)))
    late = AcknowledgementLags(
        reporter="notify-1", lags_s=[9.0], reported_at=T0 + timedelta(seconds=7.5)
    )
    fresh = AcknowledgementLags(
        reporter="notify-1", lags_s=[0.3], reported_at=T0 + timedelta(seconds=9)
    )

    async with TestRabbitBroker(bus.broker) as broker:
        for report in (late, fresh):
            await broker.publish(report.model_dump_json().encode(), exchange=bus.admission_exchange)

    assert window.median() == 0.3
