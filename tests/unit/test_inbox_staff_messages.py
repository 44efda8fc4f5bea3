"""The in-app gateway's token reads the messages of travellers (and their bookers), never
staff's. It used to refuse only ids shaped ``team:…``, so ``GET /v1/inbox/mgr-1`` gave the
traveller-facing app a manager's SLA breaches and escalations naming other travellers,
and mark-read changed them. The inbox now keeps to the messages' recipient role, not the
id's shape: a staff-only inbox reads as empty to a gateway, a staff message is 404 on
mark-read, and a traveller whose id equals an agent's sees only their own messages.
"""

from __future__ import annotations

import httpx
import pytest

from contracts import events
from contracts.envelope import Event
from services.notify.domain.delivery import Delivery
from services.notify.service import Notifier
from tests.factories import T0, envelope
from tests.unit.test_inbox_traveller_ids import notify  # noqa: F401  (fixture)
from tests.unit.test_notify_api import ACME, gateway
from tests.unit.test_notify_appeals_sla import breached, warning


async def told(notifier: Notifier, event: Event, person: str) -> list[Delivery]:
    """The in-app messages ``event`` left in ``person``'s inbox."""
    return [d for d in await notifier.notify(envelope(event)) if d.recipient == person]


def acknowledged(traveller: events.Traveller, ticket_id: str = "TC-2") -> events.Event:
    return events.TicketAcknowledged(
        ticket_id=ticket_id,
        channel=events.Channel.IN_APP,
        traveller=traveller,
        tracking_url="https://track/x",
        acknowledged_at=T0,
    )


async def test_a_managers_inbox_reads_empty_to_the_gateway_and_its_messages_stay_unread(
    notify: tuple[httpx.AsyncClient, Notifier],  # noqa: F811
) -> None:
    http, notifier = notify
    (breach,) = await told(notifier, breached(support_manager="mgr-1"), "mgr-1")

    shown = await http.get("/v1/inbox/mgr-1", headers=gateway())
    read = await http.post(f"/v1/inbox/mgr-1/{breach.id}/read", headers=gateway())

    assert (shown.status_code, shown.json()) == (200, [])
    assert read.status_code == 404
    stored = await notifier.deliveries.get("acme", breach.id)
    assert stored is not None
    assert stored.read_at is None
    by_staff = await http.get("/v1/inbox/mgr-1", headers=ACME)
    assert [m["id"] for m in by_staff.json()] == [breach.id]


@pytest.mark.parametrize("person", ["agent-7", "team:disruption"])
async def test_an_agents_or_teams_sla_warning_is_not_the_gateways(
    notify: tuple[httpx.AsyncClient, Notifier],  # noqa: F811
    person: str,
) -> None:
    http, notifier = notify
    assignee = person if person.startswith("agent") else None
    (message,) = await told(notifier, warning(assignee=assignee), person)

    shown = await http.get(f"/v1/inbox/{person}", headers=gateway())
    read = await http.post(f"/v1/inbox/{person}/{message.id}/read", headers=gateway())

    assert (shown.status_code, shown.json(), read.status_code) == (200, [], 404)


async def test_a_traveller_whose_id_is_an_agents_sees_only_their_own_messages(
    notify: tuple[httpx.AsyncClient, Notifier],  # noqa: F811
) -> None:
    http, notifier = notify
    (staff_only,) = await told(notifier, warning(assignee="agent-7"), "agent-7")
    (own,) = await told(notifier, acknowledged(events.Traveller(id="agent-7")), "agent-7")

    shown = await http.get("/v1/inbox/agent-7", headers=gateway())
    read = await http.post(f"/v1/inbox/agent-7/{own.id}/read", headers=gateway())

    assert [m["id"] for m in shown.json()] == [own.id]
    assert (read.status_code, read.json()["role"]) == (200, "traveller")
    both = await http.get("/v1/inbox/agent-7", headers=ACME)
    assert {m["id"] for m in both.json()} == {own.id, staff_only.id}


async def test_a_bookers_message_is_read_by_the_app_like_a_travellers(
    notify: tuple[httpx.AsyncClient, Notifier],  # noqa: F811
) -> None:
    """A booker is the traveller's side, not staff: their resolution notice is theirs."""
    http, notifier = notify
    booker = events.Traveller(id="booker-1", preferred_channel=events.ReplyChannel.IN_APP)
    resolved = events.TicketResolved(
        ticket_id="TC-3",
        channel=events.Channel.IN_APP,
        traveller=events.Traveller(id="trav-1", booker=booker),
        resolution_code="rebooked",
        message="Rebooked on CA1502.",
        resolved_by="agent-7",
        opened_at=T0,
        first_response_at=T0,
        resolved_at=T0,
        resolution_count=1,
    )
    (message,) = await told(notifier, resolved, "booker-1")

    shown = await http.get("/v1/inbox/booker-1", headers=gateway())

    assert [(m["id"], m["role"]) for m in shown.json()] == [(message.id, "booker")]
