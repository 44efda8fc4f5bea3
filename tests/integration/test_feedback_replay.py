"""Feedback's read model on the real broker and store: replays and retention change no number.

Feedback's consumers run in-process (the same wiring as ``services.feedback.main``)
against RabbitMQ and nx-27017; the day at the desk from ``tests/feedback_story``
is published as envelopes, in order and then again shuffled (duplicate deliveries).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from contracts.envelope import Envelope
from runtime.aggregate import OutboxMessage
from runtime.clock import FakeClock
from runtime.service import ServiceRuntime
from runtime.settings import Settings
from runtime.store import Document
from services.feedback import store, subscribers
from services.feedback.config import FeedbackSettings
from services.feedback.domain.appeals import Appeal
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.surveys import Survey
from services.feedback.domain.traveller_pulse import TravellerPulse
from services.feedback.service import Feedback
from tests.feedback_story import END, EXPECTED, NOW, START, Desk, a_day_at_the_desk
from tests.polling import until

pytestmark = pytest.mark.integration


class Running:
    def __init__(self, runtime: ServiceRuntime, feedback: Feedback) -> None:
        self.runtime = runtime
        self.feedback = feedback
        self.published = 0

    async def publish(self, envelopes: Sequence[Envelope[Any]]) -> None:
        """Publish and wait until feedback has acknowledged every message."""
        for envelope in envelopes:
            await self.runtime.bus.publish(
                OutboxMessage(
                    message_id=envelope.message_id,
                    correlation_id=envelope.correlation_id,
                    routing_key=envelope.schema_name,
                    body=envelope.model_dump_json(),
                )
            )
        self.published += len(envelopes)
        await until(lambda: _true(acked(self.runtime.registry) >= self.published), 30)

    async def metrics(self) -> dict[str, Any]:
        report = await self.feedback.metrics("acme", START, END, ["channel", "priority", "agent"])
        return report.model_dump()


async def _true(value: bool) -> bool:
    return value


def acked(registry: CollectorRegistry) -> float:
    return sum(
        sample.value
        for metric in registry.collect()
        for sample in metric.samples
        if sample.name == "faststream_received_processed_messages_total"
        and sample.labels.get("status") == "acked"
    )


@pytest.fixture
async def running(settings: Settings, mongo: AsyncMongoClient[Document]) -> AsyncIterator[Running]:
    service = settings.model_copy(update={"service": "feedback"})
    runtime = ServiceRuntime(
        service, outbox_collections=[store.SURVEYS, store.APPEALS], clock=FakeClock(NOW)
    )
    feedback = Feedback(
        surveys=runtime.repository(store.SURVEYS, Survey),
        facts=runtime.repository(store.FACTS, TicketFacts),
        appeals=runtime.repository(store.APPEALS, Appeal),
        pulses=runtime.repository(store.PULSES, TravellerPulse),
        clock=runtime.clock,
        signer=runtime.link_signer,
        public_url="http://feedback",
        settings=FeedbackSettings(),
    )
    runtime.bus.broker.context.set_global("feedback", feedback)
    subscribers.register(runtime.bus)
    await runtime.start(store.ensure_indexes)
    try:
        yield Running(runtime, feedback)
    finally:
        await runtime.stop()
        await mongo.drop_database(service.database)


async def test_replaying_the_same_events_twice_gives_identical_metrics(running: Running) -> None:
    desk = a_day_at_the_desk()
    await running.publish(desk.envelopes)
    once = await running.metrics()
    assert {k: once[k] for k in EXPECTED} == EXPECTED

    duplicates = list(desk.envelopes)
    random.Random(7).shuffle(duplicates)
    await running.publish(duplicates)

    assert await running.metrics() == once


async def test_archived_facts_still_count_and_come_back_when_an_event_arrives(
    running: Running,
) -> None:
    desk = a_day_at_the_desk()
    await running.publish(desk.envelopes)
    before = await running.metrics()
    db = running.runtime.db

    later = NOW + FeedbackSettings().retention + timedelta(days=1)
    moved = await running.feedback.archive(later, "acme")

    assert moved[store.FACTS] == 8
    assert await db[store.FACTS].count_documents({}) == 0
    assert await db[store.archive_of(store.FACTS)].count_documents({}) == 8
    assert await running.metrics() == before

    late = Desk(prefix="late")
    late.travellers["TF"] = desk.travellers["TF"]
    late.replied("TF", 700)
    await running.publish(late.envelopes)

    restored = await db[store.FACTS].find_one({"_id": "TF"})
    assert restored is not None
    assert await db[store.archive_of(store.FACTS)].count_documents({"_id": "TF"}) == 0
    after = await running.metrics()
    assert after["first_response_time_s"]["count"] == before["first_response_time_s"]["count"] + 1
    assert after["tickets"] == before["tickets"]
