"""Every traveller id intake accepts has an inbox notify serves. Ids come from customers'
systems and may hold a slash (``a/b``, ``旅客/../42``); the inbox route took one path
segment, so ``GET /v1/inbox/a%2Fb`` was a 404 while the acknowledgement had been
"delivered" there. The inbox reads the rest of the path as the id, percent-encoded
(docs/api.md), and mark-read still finds its two trailing segments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from contracts import events
from runtime.clock import FakeClock
from services.notify.domain.delivery import Delivery
from services.notify.render import Renderer
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import repository
from tests.unit.test_notify_api import ACME, gateway, notify_app
from tests.unit.test_notify_appeals_sla import warning

IDS = ["a/b", "旅客/../42", "x/N-1/read", "crm:7/", "/lead", "a b?c#d%e", "email:li@example.cn"]


@pytest.fixture
async def notify() -> AsyncIterator[tuple[httpx.AsyncClient, Notifier]]:
    clock = FakeClock(T0)
    notifier = Notifier(repository(Delivery, RecordingOutbox()), Renderer(), clock)
    transport = httpx.ASGITransport(app=notify_app(notifier, clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
        yield http, notifier


async def acknowledge(notifier: Notifier, traveller_id: str, ticket_id: str) -> str:
    acknowledged = events.TicketAcknowledged(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=events.Traveller(id=traveller_id),
        tracking_url="https://track/x",
        acknowledged_at=T0,
    )
    (delivery,) = await notifier.notify(envelope(acknowledged))
    return delivery.id


@pytest.mark.parametrize("traveller_id", IDS)
async def test_any_traveller_id_has_an_inbox_the_app_reads_and_marks_read(
    notify: tuple[httpx.AsyncClient, Notifier], traveller_id: str
) -> None:
    http, notifier = notify
    message_id = await acknowledge(notifier, traveller_id, "TC-1")
    path = f"/v1/inbox/{quote(traveller_id, safe='')}"

    inbox = await http.get(path, headers=gateway())
    read = await http.post(f"{path}/{message_id}/read", headers=gateway())

    assert inbox.status_code == 200, inbox.text
    assert [m["id"] for m in inbox.json()] == [message_id]
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] is not None


async def test_ids_sharing_a_prefix_are_different_inboxes(
    notify: tuple[httpx.AsyncClient, Notifier],
) -> None:
    http, notifier = notify
    first = await acknowledge(notifier, "a", "TC-1")
    second = await acknowledge(notifier, "a/b", "TC-2")

    mine = (await http.get("/v1/inbox/a", headers=ACME)).json()
    nested = (await http.get("/v1/inbox/a%2Fb", headers=ACME)).json()
    crossed = await http.post(f"/v1/inbox/a/{second}/read", headers=ACME)

    assert ([m["id"] for m in mine], [m["id"] for m in nested]) == ([first], [second])
    assert crossed.status_code == 404


async def test_an_id_shaped_like_a_teams_is_a_travellers_inbox_and_the_teams_stays_hidden(
    notify: tuple[httpx.AsyncClient, Notifier],
) -> None:
    """Who reads a message is told by its role, not the id's shape (test_inbox_staff_messages)."""
    http, notifier = notify
    await notifier.notify(envelope(warning(assignee=None, queue="disruption")))
    own = await acknowledge(notifier, "team:disruption", "TC-1")

    shown = await http.get("/v1/inbox/team%3Adisruption", headers=gateway())

    assert (shown.status_code, [m["id"] for m in shown.json()]) == (200, [own])
    assert len((await http.get("/v1/inbox/team%3Adisruption", headers=ACME)).json()) == 2
