"""Notify's delivery log paged against the real store: every delivery once, oldest first.

A ticket's notices often come within one second of each other (acknowledgement, routing
notice, reply, resolution, survey), and nx-27017 compares dates only to the second: a
cursor on ``created_at`` alone made the next page repeat the notices of that second
with a higher id and skip those with a lower one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts import events
from runtime.clock import FakeClock
from runtime.store import Document, Repository
from services.notify.api.models import find_page
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from services.notify.store import ensure_indexes
from tests.factories import TRAVELLER, envelope
from tests.fakes import RecordingOutbox
from tests.integration.scratch import scratch_database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 7, 8, 53, 44, 13000, tzinfo=UTC)


@pytest.fixture
async def db(mongo: AsyncMongoClient[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    async with scratch_database(mongo, "deliveries", ensure_indexes) as database:
        yield database


def reply(n: int) -> events.TicketReplied:
    return events.TicketReplied(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=TRAVELLER,
        message=f"answer {n}",
        author="agent-7",
        first_response=n == 0,
        replied_at=NOW,
    )


async def test_the_delivery_log_pages_every_notice_once_when_several_share_a_second(
    db: AsyncDatabase[Document],
) -> None:
    clock = FakeClock(NOW)
    deliveries = Repository(db, "deliveries", Delivery, RecordingOutbox(), clock)
    notifier = Notifier(deliveries, Renderer(), clock)
    for n in range(7):  # 0.3 s apart: three seconds hold two or three notices each
        await notifier.notify(envelope(reply(n)))
        clock.advance(timedelta(milliseconds=300))
    where = {"tenant_id": "acme", "ticket_id": "TC-1"}

    everything = await find_page(deliveries, where, None, 100)
    paged: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = await find_page(deliveries, where, cursor, 2)
        paged += [view.id for view in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert len(everything.items) == 7
    assert [view.created_at for view in everything.items] == sorted(
        view.created_at for view in everything.items
    )
    assert paged == [view.id for view in everything.items]
