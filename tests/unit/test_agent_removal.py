"""Removing an agent who still holds open tickets (``DELETE /v1/agents/{id}``), on routing's
in-memory stores: refused, since nothing would hand their tickets on."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from contracts import events
from runtime.auth import Principal, Role, Scope
from runtime.store import NotFound
from services.routing.api.agents import PresenceIn, delete_agent, put_presence
from services.routing.assignment.domain.agents import Agent, Presence
from tests.factories import envelope
from tests.unit.test_sla_case import SlaDesk

MANAGER = Scope(principal=Principal(id="mgr-1", role=Role.MANAGER, tenants=["acme"]), tenant="acme")


@pytest.fixture
async def desk() -> SlaDesk:
    desk = SlaDesk()
    await desk.setup()
    return desk


async def test_an_agent_holding_an_open_ticket_is_not_removed(desk: SlaDesk) -> None:
    """The ticket stayed assigned to an agent who no longer existed: never dispatched to
    anyone else, and no transfer could name them again."""
    await desk.open()
    assert await desk.holder() == ["agent-1"]

    with pytest.raises(HTTPException) as refused:
        await delete_agent("agent-1", MANAGER, desk.store)

    assert refused.value.status_code == 409
    assert "agent-1 holds 1 open ticket(s) (TC-1)" in str(refused.value.detail)
    assert await desk.store.agents.get("acme", Agent.key("acme", "agent-1")) is not None


async def test_once_their_tickets_are_resolved_or_their_slots_stale_the_agent_goes(
    desk: SlaDesk,
) -> None:
    await desk.open()
    resolved = events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=desk.reply().traveller,
        resolution_code="refunded",
        message="Done",
        resolved_by="agent-1",
        opened_at=desk.clock.now(),
        first_response_at=desk.clock.now(),
        resolved_at=desk.clock.now(),
        resolution_count=1,
    )
    await desk.router.ticket_resolved(envelope(resolved))
    stale = await desk.store.agents.get("acme", Agent.key("acme", "senior-1"))
    assert stale is not None
    stale.tickets = ["TC-GONE"]  # a slot a lost write left behind holds nothing
    await desk.store.agents.save(stale)

    await delete_agent("agent-1", MANAGER, desk.store)
    await delete_agent("senior-1", MANAGER, desk.store)

    assert [a.agent_id for a in await desk.store.agents_of("acme")] == ["expert-1"]


async def test_presence_of_an_unknown_agent_is_404_naming_the_id_sent(desk: SlaDesk) -> None:
    """``PUT /v1/agents/nobody/presence`` answered 404 ``acme:nobody``, the store's key, where
    every other agent endpoint names the id in the path."""
    with pytest.raises(NotFound) as missing:
        await put_presence("nobody", PresenceIn(presence=Presence.ONLINE), MANAGER, desk.router)

    assert str(missing.value) == "nobody"
