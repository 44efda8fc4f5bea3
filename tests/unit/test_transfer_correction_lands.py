"""A transfer is learnt from only once routing applied it. Its correction was stored before
the case's commit, so a transfer whose commit lost its race to the agent's reply and whose
retry found the case resolved since (ignored: "the case moved on") still taught triage its
category, against routing.md: a late transfer is not kept as a category correction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts import events
from runtime.store import ConcurrencyError
from tests.factories import T0, envelope
from tests.unit.test_routing_handlers import EN, Desk, desk, seed  # noqa: F401 (fixtures)


def transferred() -> events.TicketTransferred:
    return events.TicketTransferred(
        ticket_id="TC-1",
        from_queue="booking",
        to_queue="finance",
        from_assignee=None,
        to_assignee=None,
        by="booking-en",
        reason="it is about the invoice",
        transferred_at=T0 + timedelta(minutes=5),
    )


def resolved() -> events.TicketResolved:
    return events.TicketResolved(
        ticket_id="TC-1",
        channel=events.Channel.IN_APP,
        traveller=EN,
        resolution_code="fixed",
        message="done",
        resolved_by="booking-en",
        opened_at=T0,
        first_response_at=T0,
        resolved_at=T0 + timedelta(minutes=6),
        resolution_count=1,
    )


async def test_a_transfer_that_never_landed_keeps_no_correction(
    desk: Desk,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await desk.policy(bot_enabled=False)
    ticket = await desk.open("I need to change my flight to Shanghai from Friday to Saturday")
    assert ticket == "TC-1"
    assert desk.last("ticket.routed", ticket)["queue"] == "booking"
    message = envelope(transferred())
    commit = desk.router._commit

    async def lost(*args: Any, **kwargs: Any) -> None:
        raise ConcurrencyError(ticket)

    monkeypatch.setattr(desk.router, "_commit", lost)
    with pytest.raises(ConcurrencyError):
        await desk.router.ticket_transferred(message)
    monkeypatch.setattr(desk.router, "_commit", commit)
    await desk.router.ticket_resolved(envelope(resolved()))
    await desk.router.ticket_transferred(message)  # the bus's retry: the case moved on

    assert (await desk.case(ticket)).queue == "booking"
    assert await desk.store.corrections("acme") == []
