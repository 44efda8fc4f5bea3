"""An agent's inbox shows an assignment that is no longer theirs as past.

An agent with no push channel is told "TC-1 has been assigned to you" in the in-app inbox,
delivered when the notice is stored. Once the ticket went to another agent, back to a
queue, or was resolved, the inbox still showed it as a current, delivered assignment.
The inbox now shows it ``overtaken`` (the support desk's history keeps the message, as a
superseded disruption notice stays): the app shows it as past, not as work to pick up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from contracts.envelope import Event
from contracts.events import Traveller
from runtime.clock import FakeClock
from services.notify.domain.delivery import Delivery
from services.notify.domain.recipients import Directory, Role
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import repository
from tests.unit.test_notify_api import ACME, notify_app
from tests.unit.test_notify_overtaken_assignments import assigned, resolved
from tests.unit.test_notify_sla_holder import warned

SATO, KIM = Traveller(id="agent-7", language="en"), Traveller(id="agent-9", language="en")


@dataclass
class Desk:
    http: httpx.AsyncClient
    notifier: Notifier

    async def take(self, event: Event, message_id: str) -> Delivery:
        """The in-app notice to the agent the event tells (its only channel)."""
        added = await self.notifier.notify(envelope(event, message_id=message_id))
        (told,) = [d for d in added if d.role is Role.AGENT]
        return told

    async def inbox(self, person: str) -> dict[str, str]:
        answer = await self.http.get(f"/v1/inbox/{person}", headers=ACME)
        assert answer.status_code == 200
        return {m["id"]: m["status"] for m in answer.json()}


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    clock = FakeClock(T0)
    directory = Directory(agents={SATO.id: SATO, KIM.id: KIM})
    notifier = Notifier(
        repository(Delivery, RecordingOutbox()), Renderer(), clock, directory=directory
    )
    transport = httpx.ASGITransport(app=notify_app(notifier, clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
        yield Desk(http, notifier)


async def test_an_assignment_taken_over_by_another_agent_shows_overtaken(desk: Desk) -> None:
    sato = await desk.take(assigned(SATO.id), "routed-1")
    assert await desk.inbox(SATO.id) == {sato.id: "delivered"}

    kim = await desk.take(assigned(KIM.id, 2), "routed-2")

    assert await desk.inbox(SATO.id) == {sato.id: "overtaken"}
    assert await desk.inbox(KIM.id) == {kim.id: "delivered"}


async def test_a_resolved_tickets_assignment_shows_overtaken_and_reads_so(desk: Desk) -> None:
    sato = await desk.take(assigned(SATO.id), "routed-1")
    await desk.notifier.notify(envelope(resolved(2), message_id="resolved-1"))

    read = await desk.http.post(f"/v1/inbox/{SATO.id}/{sato.id}/read", headers=ACME)

    assert read.json()["status"] == "overtaken"
    assert await desk.inbox(SATO.id) == {sato.id: "overtaken"}


async def test_an_assignment_stored_after_a_newer_one_shows_overtaken_at_once(
    desk: Desk,
) -> None:
    """The bus keeps no order: the older routing, taken last, is past when it is stored."""
    await desk.take(assigned(KIM.id, 2), "routed-2")
    sato = await desk.take(assigned(SATO.id), "routed-1")

    assert await desk.inbox(SATO.id) == {sato.id: "overtaken"}


async def test_a_ticket_back_with_the_agent_shows_their_assignment_current(desk: Desk) -> None:
    sato = await desk.take(assigned(SATO.id), "routed-1")
    await desk.take(assigned(KIM.id, 2), "routed-2")
    again = await desk.take(assigned(SATO.id, 4), "routed-3")

    assert await desk.inbox(SATO.id) == {sato.id: "delivered", again.id: "delivered"}


async def test_the_inbox_shows_a_warning_about_a_ticket_moved_on_overtaken(
    desk: Desk,
) -> None:
    await desk.take(assigned(SATO.id), "routed-1")
    notice = await desk.take(warned(1), "sla-1")
    assert (await desk.inbox(SATO.id))[notice.id] == "delivered"

    await desk.take(assigned(KIM.id, 2), "routed-2")

    assert (await desk.inbox(SATO.id))[notice.id] == "overtaken"
