"""Who holds each ticket is recorded on every contact's path (``services.notify.holders``):
the records of routing events taken together share one store command, and the newest
holder still wins when two of one ticket arrive at once."""

from __future__ import annotations

import asyncio

from runtime.clock import FakeClock
from runtime.store import Repository
from services.notify import holders
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_notify_overtaken_assignments import assigned


def notifier(database: FakeDatabase) -> Notifier:
    deliveries: Repository[Delivery] = Repository(
        database,  # type: ignore[arg-type]
        "deliveries",
        Delivery,
        RecordingOutbox(),
        FakeClock(T0),
    )
    return Notifier(deliveries, Renderer(), FakeClock(T0))


async def test_routing_events_taken_together_record_their_holders_in_one_command() -> None:
    database = FakeDatabase()
    desk = notifier(database)

    await asyncio.gather(
        *(
            desk.notify(envelope(assigned("agent-7", ticket_id=f"TC-{n}"), message_id=f"r-{n}"))
            for n in range(3)
        )
    )

    assert database[holders.HOLDERS].bulk_writes == [3]
    held = await holders.current(database, "acme", ["TC-0", "TC-1", "TC-2"])  # type: ignore[arg-type]
    assert {h.assignee for h in held.values()} == {"agent-7"}


async def test_two_holders_of_one_ticket_taken_at_once_keep_the_newer() -> None:
    database = FakeDatabase()
    desk = notifier(database)

    await asyncio.gather(
        desk.notify(envelope(assigned("agent-9", 2), message_id="r-2")),
        desk.notify(envelope(assigned("agent-7", 0), message_id="r-1")),
    )

    held = await holders.current(database, "acme", ["TC-1"])  # type: ignore[arg-type]
    assert held["TC-1"].assignee == "agent-9"
