"""Notify against the real store: a disruption notice older than the one a traveller was
told, delivered late or again, taken at the same moment as a newer one, or handed to the
next channel after its own failed, tells them nothing; two messages of one revision tell
it once (the conditional write and the read that decide it are store code, so they are
checked where they run)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, ReplyChannel, Traveller
from runtime.clock import FakeClock
from runtime.store import Document, Repository
from services.notify import store
from services.notify.domain.delivery import Delivery, DeliveryStatus, delivery_id
from services.notify.domain.outcome import Outcome
from services.notify.domain.retry import RetryPolicy
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


def notifier(db: AsyncDatabase[Document], outbox: RecordingOutbox | None = None) -> Notifier:
    clock = FakeClock(T0)
    outbox = outbox or RecordingOutbox()
    deliveries = Repository(db, store.DELIVERIES, Delivery, outbox, clock)  # type: ignore[arg-type]
    available = frozenset({ReplyChannel.WECOM, ReplyChannel.SMS})
    return Notifier(deliveries, Renderer(), clock, available=available)


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


async def statuses(db: AsyncDatabase[Document]) -> dict[str, str]:
    cursor = db[store.DELIVERIES].find({"ticket_id": "TC-7"})
    return {doc["source_message_id"]: doc["status"] async for doc in cursor}


async def test_two_messages_of_one_revision_taken_at_once_tell_it_once(
    db: AsyncDatabase[Document],
) -> None:
    """Two consumers take revision 3 from two messages (intake published it twice) and the
    winner's message again: the record's write lets one message through."""
    notify = notifier(db)
    await asyncio.gather(
        notify.disruption_notice(envelope(notice(3, "flight_cancelled"), message_id="n-3a")),
        notify.disruption_notice(envelope(notice(3, "flight_cancelled"), message_id="n-3b")),
    )
    [winner] = await told(db)
    await asyncio.gather(
        *(
            notify.disruption_notice(envelope(notice(3, "flight_cancelled"), message_id=m))
            for m in ("n-3a", "n-3b", winner)
        )
    )
    assert await told(db) == [winner]


async def test_a_record_kept_before_its_message_was_lets_that_revision_through_once(
    db: AsyncDatabase[Document],
) -> None:
    """A record written before it kept its message: the revision's next message (the
    redelivery the record may have been waiting for) wins it, another then does not."""
    key = store.ticket_key("acme", "TC-7")
    await db[store.DISRUPTION_REVISIONS].insert_one({"_id": key, "revision": 2, "told_at": T0})
    notify = notifier(db)
    await notify.disruption_notice(envelope(notice(2, "flight_cancelled"), message_id="n-2"))
    await notify.disruption_notice(envelope(notice(2, "flight_cancelled"), message_id="n-2b"))

    assert await told(db) == ["n-2"]


async def test_an_older_revision_written_after_a_newer_one_is_superseded(
    db: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revision 2 is recorded, then its consumer stalls; revision 3 is recorded and told in
    the meantime. Revision 2's inbox item, written after revision 3's, would read as the
    newest ("delayed" after "cancelled"): it is marked superseded."""
    newer_told, record = asyncio.Event(), store.record_disruption_revision

    async def stalls_after_revision_2(
        db: AsyncDatabase[Document], tenant: str, ticket: str, revision: int, *rest: str | datetime
    ) -> bool:
        taken = await record(db, tenant, ticket, revision, *rest)  # type: ignore[arg-type]
        if revision == 2:
            await newer_told.wait()
        return taken

    async def revision_3() -> None:
        await asyncio.sleep(0.05)  # revision 2 is recorded first
        await notify.disruption_notice(envelope(notice(3, "flight_cancelled"), message_id="n-3"))
        newer_told.set()

    monkeypatch.setattr(store, "record_disruption_revision", stalls_after_revision_2)
    notify = notifier(db)
    await asyncio.gather(
        notify.disruption_notice(envelope(notice(2, "flight_delayed"), message_id="n-2")),
        revision_3(),
    )

    assert await statuses(db) == {
        "n-3": DeliveryStatus.DELIVERED.value,
        "n-2": DeliveryStatus.SUPERSEDED.value,
    }


REACHABLE = Traveller(
    id="trav-7",
    language="en",
    im_user_id="wx-7",
    phone="+8613800000007",
    preferred_channel=ReplyChannel.WECOM,
    fallback_channels=[ReplyChannel.SMS],
)


def on_wecom(revision: int, kind: str) -> events.DisruptionNotice:
    return notice(revision, kind).model_copy(
        update={"traveller": REACHABLE, "channel": Channel.WECOM}
    )


async def wecom_fails(
    notify: Notifier, outbox: RecordingOutbox, message_id: str
) -> Envelope[events.NotificationFailed]:
    """The notice's WeCom message gives up for good: its ``notification.failed``."""
    wecom = await notify.deliveries.get("acme", delivery_id(message_id, "trav-7", "wecom"))
    assert wecom is not None
    wecom.claim(T0, RetryPolicy().cap)
    wecom.attempt_failed(T0, "HTTP 404", Outcome.PERMANENT, RetryPolicy(), 0.0)
    await notify.deliveries.save(wecom)
    return Envelope[events.NotificationFailed].model_validate_json(outbox.messages[-1].body)


async def on_sms(db: AsyncDatabase[Document]) -> list[str]:
    cursor = db[store.DELIVERIES].find({"ticket_id": "TC-7", "channel": "sms"})
    return sorted([doc["source_message_id"] async for doc in cursor])


async def test_an_older_notice_whose_channel_failed_goes_nowhere_after_a_newer_one(
    db: AsyncDatabase[Document],
) -> None:
    """WeCom gave up on "delayed" after "cancelled" was recorded: the SMS would have told
    the traveller the flight was only delayed. The newer notice still falls back."""
    outbox = RecordingOutbox()
    notify = notifier(db, outbox)
    await notify.disruption_notice(envelope(on_wecom(1, "flight_delayed"), message_id="n-1"))
    await notify.disruption_notice(envelope(on_wecom(2, "flight_cancelled"), message_id="n-2"))

    assert await notify.fall_back(await wecom_fails(notify, outbox, "n-1")) is None
    assert await on_sms(db) == []
    assert await notify.fall_back(await wecom_fails(notify, outbox, "n-2")) is not None
    assert await on_sms(db) == ["n-2"]


async def test_a_notice_whose_channel_failed_falls_back_while_it_is_the_newest(
    db: AsyncDatabase[Document],
) -> None:
    outbox = RecordingOutbox()
    notify = notifier(db, outbox)
    await notify.disruption_notice(envelope(on_wecom(1, "flight_delayed"), message_id="n-1"))

    assert await notify.fall_back(await wecom_fails(notify, outbox, "n-1")) is not None
    assert await on_sms(db) == ["n-1"]
