"""An event about a ticket intake does not have (none by that id, or another tenant's) is
dead-lettered at once as ``rejected``, with one WARNING naming the ticket and the event:
intake writes every ticket before anything about it is published, so waiting for it (the
back-off and redeliveries up to the delivery limit) can never help. Driven through
FastStream's in-memory broker, which ignores the ack/reject itself (the broker's side is
``tests/integration/test_dead_letters.py``)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from faststream.rabbit import TestRabbitBroker

from contracts import events
from contracts.events import Priority, SlaClock
from runtime.clock import FakeClock
from runtime.signing import Signer
from services.intake.domain import Ticket
from services.intake.incidents import IncidentDesk
from services.intake.service import Intake
from services.intake.store import TicketStore
from services.intake.subscribers import register, register_incidents
from tests.factories import T0, TRAVELLER, contact, envelope
from tests.fakes import RecordingOutbox
from tests.unit.test_handlers import make_bus, repository


def routed(ticket_id: str) -> events.TicketRouted:
    return events.TicketRouted(
        ticket_id=ticket_id,
        traveller=TRAVELLER,
        queue="general",
        priority=Priority.NORMAL,
        first_response_due=T0 + timedelta(hours=1),
        resolution_due=T0 + timedelta(hours=8),
        reason="category general",
        routed_at=T0,
    )


def survey_sent(ticket_id: str) -> events.SurveySent:
    return events.SurveySent(
        survey_id=f"S-{ticket_id}-1",
        ticket_id=ticket_id,
        traveller=TRAVELLER,
        survey_url="https://s/x",
        sent_at=T0,
    )


def sla_warning(ticket_id: str) -> events.SlaWarning:
    return events.SlaWarning(
        ticket_id=ticket_id,
        clock=SlaClock.FIRST_RESPONSE,
        priority=Priority.NORMAL,
        queue="general",
        deadline=T0 + timedelta(hours=1),
        target_seconds=3600,
        warned_at=T0,
    )


def linked(ticket_id: str) -> events.IncidentLinked:
    return events.IncidentLinked(
        incident_id="INC-1", ticket_id=ticket_id, reference="CA1501", linked_at=T0
    )


class Desk:
    """Intake's ticket subscribers over an in-memory store holding one acme ticket."""

    def __init__(self) -> None:
        self.bus, self.outbox = make_bus("intake"), RecordingOutbox()
        self.tickets = repository(Ticket, self.outbox)
        self.intake = Intake(
            TicketStore(self.tickets), FakeClock(T0), Signer("s" * 32), "http://intake"
        )
        register(self.bus, self.intake)
        register_incidents(self.bus, IncidentDesk(self.intake))

    def dead_lettered(self, schema_name: str, reason: str) -> float:
        [event] = [e for e in events.ALL_EVENTS if e.schema_name == schema_name]
        queue = self.bus.topology.queue("intake", event)
        labels = {"queue": queue, "reason": reason}
        registry = self.bus.dead_letters.registry
        return registry.get_sample_value("messages_dead_lettered_total", labels) or 0.0


@pytest.mark.parametrize(
    "event", [routed, survey_sent, sla_warning, linked], ids=lambda e: e.__name__
)
@pytest.mark.parametrize("whose", ["no-such-ticket", "another-tenants"])
async def test_an_event_about_a_ticket_intake_does_not_have_is_rejected_at_once(
    event: object, whose: str, caplog: pytest.LogCaptureFixture
) -> None:
    desk = Desk()
    ticket, _ = await desk.intake.receive_contact("acme", contact())
    ticket_id, tenant = ("TC-nope", "acme") if whose == "no-such-ticket" else (ticket.id, "globex")
    payload = event(ticket_id)  # type: ignore[operator]
    body = envelope(payload, tenant=tenant, message_id="m-stray").model_dump_json().encode()

    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        async with TestRabbitBroker(desk.bus.broker) as broker:
            await broker.publish(
                body,
                exchange=desk.bus.events_exchange,
                routing_key=payload.schema_name,
                message_id="m-stray",
            )

    assert time.monotonic() - started < 0.5, "no redelivery back-off"
    assert desk.dead_lettered(payload.schema_name, "rejected") == 1
    about = [r for r in caplog.records if ticket_id in r.getMessage()]
    assert [r.levelno for r in about] == [logging.WARNING], [r.getMessage() for r in about]
    assert not [r for r in caplog.records if r.exc_info], "no traceback: nothing failed"
    line = about[0].getMessage()
    assert line.startswith("message m-stray dead-lettered: ")
    assert f"{payload.schema_name} names ticket {ticket_id}" in line
    assert f"tenant {tenant}" in line
    stored = await desk.tickets.get("acme", ticket.id)
    assert stored is not None
    assert stored.version == ticket.version, "the other tenant's ticket is untouched"


async def test_an_event_about_a_ticket_intake_has_is_applied() -> None:
    desk = Desk()
    ticket, _ = await desk.intake.receive_contact("acme", contact())

    async with TestRabbitBroker(desk.bus.broker) as broker:
        await broker.publish(
            envelope(routed(ticket.id)).model_dump_json().encode(),
            exchange=desk.bus.events_exchange,
            routing_key="ticket.routed",
        )

    stored = await desk.tickets.get("acme", ticket.id)
    assert stored is not None
    assert stored.queue == "general"
    assert desk.dead_lettered("ticket.routed", "rejected") == 0
