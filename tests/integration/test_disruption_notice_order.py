"""Notify against the real store: a disruption notice older than the one a traveller was
told, delivered late or again, tells them nothing (the conditional write that decides it
is store code, so it is checked where it runs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from runtime.clock import FakeClock
from runtime.store import Document, Repository
from services.notify import store
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import RecordingOutbox
from tests.integration.scratch import scratch_database
from tests.unit.test_incident_revision_order import notice

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(mongo: AsyncMongoClient[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(mongo, "notify", store.ensure_indexes) as database:
        yield database


def notifier(db: AsyncDatabase[Document]) -> Notifier:
    clock = FakeClock(T0)
    deliveries = Repository(db, store.DELIVERIES, Delivery, RecordingOutbox(), clock)  # type: ignore[arg-type]
    return Notifier(deliveries, Renderer(), clock)


async def told(db: AsyncDatabase[Document]) -> list[str]:
    cursor = db[store.DELIVERIES].find({"ticket_id": "TC-7"})
    return sorted([doc["source_message_id"] async for doc in cursor])


async def test_an_older_notice_after_a_newer_one_tells_nothing(
    db: AsyncDatabase[Document],
) -> None:
    notify = notifier(db)
    await notify.disruption_notice(envelope(notice(1, "flight_delayed"), message_id="n-1"))
    await notify.disruption_notice(envelope(notice(3, "flight_cancelled"), message_id="n-3"))
    await notify.disruption_notice(envelope(notice(1, "flight_delayed"), message_id="n-1"))
    await notify.disruption_notice(envelope(notice(2, "flight_delayed"), message_id="n-2"))
    await notify.disruption_notice(envelope(notice(3, "flight_cancelled"), message_id="n-3"))

    assert await told(db) == ["n-1", "n-3"]


async def test_two_first_notices_at_once_leave_the_newer_revision_recorded(
    db: AsyncDatabase[Document],
) -> None:
    notify = notifier(db)
    await asyncio.gather(
        notify.disruption_notice(envelope(notice(2, "flight_cancelled"), message_id="n-2")),
        notify.disruption_notice(envelope(notice(1, "flight_delayed"), message_id="n-1")),
    )
    [held] = await db[store.DISRUPTION_REVISIONS].find({}).to_list()
    assert held["revision"] == 2
    assert "n-2" in await told(db)
