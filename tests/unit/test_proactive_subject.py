"""A proactive ticket's subject follows the disruption's latest revision. It stayed the
first one's: agents read "flight delayed: CA1501 …" on a ticket whose flight had since
been cancelled. The timeline keeps every revision as it was told."""

from __future__ import annotations

from contracts import events
from tests.factories import envelope
from tests.unit.test_proactive_tickets import Desk, request

DELAYED = "flight delayed: CA1501 on 2026-11-25 (+90 min)"
CANCELLED = "flight cancelled: CA1501 on 2026-11-25"


def revision(number: int, kind: str, summary: str) -> events.ProactiveContactRequested:
    return request(number).model_copy(update={"kind": kind, "summary": summary})


async def test_a_later_revision_of_another_kind_becomes_the_tickets_subject() -> None:
    desk = Desk()
    await desk.desk.proactive_contact(
        envelope(revision(1, "flight_delayed", DELAYED), message_id="m-1")
    )
    ticket = await desk.desk.proactive_contact(
        envelope(revision(2, "flight_cancelled", CANCELLED), message_id="m-2")
    )

    assert ticket.subject == CANCELLED
    [doc] = desk.db["tickets"].docs.values()
    assert doc["subject"] == CANCELLED
    summaries = [e.summary for e in ticket.timeline]
    assert f"Opened proactively: {DELAYED}" in summaries
    assert f"Disruption changed: {CANCELLED}" in summaries


async def test_an_older_revision_delivered_late_leaves_the_subject() -> None:
    desk = Desk()
    await desk.desk.proactive_contact(
        envelope(revision(2, "flight_cancelled", CANCELLED), message_id="m-2")
    )
    ticket = await desk.desk.proactive_contact(
        envelope(revision(1, "flight_delayed", DELAYED), message_id="m-1")
    )
    assert ticket.subject == CANCELLED
