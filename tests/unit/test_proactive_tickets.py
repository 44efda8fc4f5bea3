"""Intake's proactive tickets, incident links and the bulk reply, through FastStream's test
broker and on in-memory stores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.envelope import Envelope
from contracts.events import Channel, NextStep, Priority, ReferenceKind, Traveller
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import NotFound, Repository
from services.intake.domain import Ticket, TicketStatus
from services.intake.incidents import BulkReplyIn, IncidentDesk
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.intake.subscribers import register_incidents as register_incident_subscribers
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory, Role
from tests.factories import T0, contact, envelope
from tests.fakes import FakeDatabase, RecordingOutbox
from tests.unit.test_handlers import make_bus

AIKO = Traveller(id="trav-7", name="Aiko", language="ja")


def request(revision: int = 1, traveller: Traveller = AIKO) -> events.ProactiveContactRequested:
    return events.ProactiveContactRequested(
        incident_id="INC-1",
        revision=revision,
        traveller=traveller,
        channel=Channel.IN_APP,
        booking_id="bk-7",
        kind="flight_cancelled",
        resource="flight",
        reference="CA1501",
        service_date=date(2026, 11, 25),
        departs_at=T0 + timedelta(hours=3),
        priority=Priority.CRITICAL,
        next_step=NextStep.REBOOKING,
        summary="flight cancelled: CA1501 on 2026-11-25",
        requested_at=T0,
    )


class Desk:
    def __init__(self) -> None:
        self.outbox = RecordingOutbox()
        self.clock = FakeClock(T0)
        self.db = FakeDatabase()
        self.repo: Repository[Ticket] = Repository(
            self.db,  # type: ignore[arg-type]
            "tickets",
            Ticket,
            self.outbox,
            self.clock,
        )
        self.intake = Intake(TicketStore(self.repo), self.clock, Signer("s" * 32), "http://i")
        self.desk = IncidentDesk(self.intake)

    def sent(self, schema: str) -> list[str]:
        return sorted({m.message_id for m in self.outbox.messages if m.routing_key == schema})


async def test_a_proactive_request_opens_one_ticket_and_one_notice_per_revision() -> None:
    desk = Desk()
    bus = make_bus("intake")
    register_incident_subscribers(bus, desk.desk)
    async with TestRabbitBroker(bus.broker) as broker:
        for message_id, revision in (("m-1", 1), ("m-1", 1), ("m-2", 1), ("m-3", 2)):
            await broker.publish(
                envelope(request(revision), message_id=message_id).model_dump_json().encode(),
                exchange=bus.events_exchange,
                routing_key="proactive.contact",
            )
    [doc] = desk.db["tickets"].docs.values()
    ticket = Ticket.model_validate(doc)
    assert (ticket.origin, ticket.incident_id, ticket.incident_revision) == (
        "proactive",
        "INC-1",
        2,
    )
    assert (ticket.status, ticket.priority) == (TicketStatus.ACKNOWLEDGED, Priority.CRITICAL)
    assert [r.kind for r in ticket.references] == [ReferenceKind.FLIGHT, ReferenceKind.ORDER]
    assert len(desk.sent("ticket.opened")) == 1
    assert len(desk.sent("ticket.disruption_notice")) == 2
    assert desk.sent("ticket.acknowledged") == []
    opened = next(m for m in desk.outbox.messages if m.routing_key == "ticket.opened")
    assert '"proactive":true' in opened.body
    assert '"incident_id":"INC-1"' in opened.body


async def test_the_travellers_own_follow_up_threads_into_the_proactive_ticket() -> None:
    desk = Desk()
    ticket = await desk.desk.proactive_contact(envelope(request()))
    desk.clock.advance(timedelta(minutes=10))
    followed, _ = await desk.intake.receive_contact(
        "acme",
        contact(traveller=AIKO, channel_message_id="app-9", text="CA1501 欠航、どうすれば？"),
    )
    assert followed.id == ticket.id


async def test_a_linked_contact_carries_the_incident_and_bulk_reply_answers_the_open_ones() -> None:
    desk = Desk()
    proactive = await desk.desk.proactive_contact(envelope(request()))
    other = await desk.desk.proactive_contact(envelope(request(traveller=Traveller(id="trav-8"))))
    own, _ = await desk.intake.receive_contact("acme", contact(channel_message_id="app-1"))
    linked = events.IncidentLinked(
        incident_id="INC-1", ticket_id=own.id, reference="CA1501", linked_at=T0
    )
    await desk.desk.incident_linked(envelope(linked))
    await desk.intake.act(
        "acme", other.id, lambda t: t.resolve(code="rebooked", message="ok", agent="a", now=T0)
    )
    done = await desk.desk.reply_all(
        "acme", "INC-1", BulkReplyIn(message="Rebooked on CA1503."), "agent-7"
    )
    assert sorted(done.replied) == sorted([proactive.id, own.id])
    assert [(s.ticket_id, s.status) for s in done.skipped] == [(other.id, "resolved")]
    assert len(desk.sent("ticket.replied")) == 2
    with pytest.raises(NotFound):
        await desk.desk.reply_all("globex", "INC-1", BulkReplyIn(message="x"), "agent-9")


@pytest.mark.parametrize(("preferred", "served"), [("ja-JP", "ja"), ("fr", None), (None, None)])
def test_a_proactive_ticket_speaks_a_supported_language_or_none(
    preferred: str | None, served: str | None
) -> None:
    """A booking's tag maps onto a language TripCare speaks; one it does not (fr) stays the
    traveller's preference and leaves the ticket's language to notify's fallback."""
    traveller = AIKO.model_copy(update={"language": preferred})

    ticket = Ticket.open_proactive("acme", request(traveller=traveller), tracking_url="t", now=T0)

    assert (ticket.language, ticket.traveller.language) == (served, preferred)


def test_a_proactive_ticket_is_not_told_its_routing_again() -> None:
    routed = events.TicketRouted(
        ticket_id="TC-1",
        traveller=AIKO,
        queue="disruption",
        assignee="agent-7",
        priority=Priority.CRITICAL,
        first_response_due=T0,
        resolution_due=T0,
        reason="r",
        routed_at=T0,
        proactive=True,
    )
    notices = notices_for(routed, "acme", Directory())
    assert [n.role for n in notices] == [Role.AGENT]


def incident_resolved(by: str = "mgr-1") -> events.IncidentResolved:
    return events.IncidentResolved(
        incident_id="INC-1",
        resolution_code="incident_resolved",
        message="CA1501 flies again at 14:30.",
        resolved_by=by,
        resolved_at=T0,
    )


async def test_an_incident_closed_resolving_resolves_each_open_ticket_of_its_tenant_once() -> None:
    desk = Desk()
    proactive = await desk.desk.proactive_contact(envelope(request()))
    done = await desk.desk.proactive_contact(envelope(request(traveller=Traveller(id="trav-8"))))
    own, _ = await desk.intake.receive_contact("acme", contact(channel_message_id="app-1"))
    linked = events.IncidentLinked(
        incident_id="INC-1", ticket_id=own.id, reference="CA1501", linked_at=T0
    )
    await desk.desk.incident_linked(envelope(linked))
    elsewhere = await desk.desk.proactive_contact(envelope(request(), tenant="globex"))
    await desk.intake.act(
        "acme", done.id, lambda t: t.resolve(code="rebooked", message="ok", agent="a", now=T0)
    )
    already = len(desk.sent("ticket.resolved"))
    bus = make_bus("intake")
    register_incident_subscribers(bus, desk.desk)
    async with TestRabbitBroker(bus.broker) as broker:
        for _ in range(2):  # a redelivery
            await broker.publish(
                envelope(incident_resolved(), message_id="close-1").model_dump_json().encode(),
                exchange=bus.events_exchange,
                routing_key="incident.resolved",
            )

    async def status(tenant: str, ticket_id: str) -> tuple[TicketStatus, str | None]:
        ticket = await desk.repo.get(tenant, ticket_id)
        assert ticket is not None
        return ticket.status, ticket.resolution_code

    resolved = (TicketStatus.RESOLVED, "incident_resolved")
    assert await status("acme", proactive.id) == resolved
    assert await status("acme", own.id) == resolved
    assert await status("acme", done.id) == (TicketStatus.RESOLVED, "rebooked")
    assert await status("globex", elsewhere.id) == (TicketStatus.ACKNOWLEDGED, None)
    told = [
        Envelope[events.TicketResolved].model_validate_json(m.body).payload
        for m in {m.message_id: m for m in desk.outbox.messages}.values()
        if m.routing_key == "ticket.resolved"
    ]
    assert len(told) == already + 2
    mine = next(t for t in told if t.ticket_id == proactive.id)
    assert (mine.message, mine.resolved_by, mine.traveller.language) == (
        "CA1501 flies again at 14:30.",
        "mgr-1",
        "ja",
    )
    assert mine.channel is Channel.IN_APP
