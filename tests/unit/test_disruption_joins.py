"""A disruption of a flight the traveller's open ticket already names joins that ticket: the
traveller wrote "NH920 is delayed, can I rebook?" and then got a second, proactive ticket
when the supplier's event arrived, which an agent had to merge into the first."""

from __future__ import annotations

from datetime import date, timedelta

from contracts import events
from contracts.events import (
    BookingReference,
    Channel,
    NextStep,
    Priority,
    ReferenceKind,
    Traveller,
)
from services.intake.domain import Ticket, TicketStatus
from services.intake.domain.proactive import join_disruption, joining_ticket
from services.routing.domain.case import RoutingCase
from tests.factories import T0, TRAVELLER, contact, envelope
from tests.unit.test_proactive_tickets import Desk
from tests.unit.test_revision_priority import notice
from tests.unit.test_routing import opened, route, triage
from tests.unit.test_ticket import kinds, opened_ticket

NH920 = [BookingReference(kind=ReferenceKind.FLIGHT, value="NH920")]
ASKED = "NH920 is delayed, can I rebook?"


def own_ticket(**overrides: object) -> Ticket:
    values: dict[str, object] = {"text": ASKED, "references": NH920, "channel": Channel.EMAIL}
    ticket = opened_ticket(**{**values, **overrides})
    ticket.take_events()
    return ticket


def disruption(
    revision: int = 1,
    *,
    reference: str = "NH920",
    traveller: Traveller = TRAVELLER,
    priority: Priority = Priority.CRITICAL,
    incident_id: str = "INC-NH920",
) -> events.ProactiveContactRequested:
    return events.ProactiveContactRequested(
        incident_id=incident_id,
        revision=revision,
        traveller=traveller,
        channel=Channel.IN_APP,
        booking_id="bk-42",
        kind="flight_delayed" if revision == 1 else "flight_cancelled",
        resource="flight",
        reference=reference,
        service_date=date(2026, 11, 25),
        departs_at=T0 + timedelta(hours=3),
        priority=priority,
        next_step=NextStep.OPTIONS if revision == 1 else NextStep.REBOOKING,
        summary=f"flight {'delayed' if revision == 1 else 'cancelled'}: {reference} on 2026-11-25",
        requested_at=T0,
    )


def test_the_travellers_open_ticket_naming_the_flight_takes_the_disruption() -> None:
    ticket = own_ticket()
    request = disruption()

    assert joining_ticket([ticket], request) is ticket
    join_disruption(ticket, request, tracking_url="https://t/own", now=T0 + timedelta(hours=1))

    [notice] = ticket.take_events()
    assert isinstance(notice, events.DisruptionNotice)
    assert (notice.ticket_id, notice.incident_id, notice.revision) == (ticket.id, "INC-NH920", 1)
    assert notice.tracking_url == "https://t/own", "their own ticket's page"
    assert notice.channel is Channel.IN_APP, "where a proactive notice would tell them"
    assert notice.traveller.preferred_channel is not None
    assert notice.priority is Priority.CRITICAL, "routing raises the open case as for a revision"
    assert (ticket.incident_id, ticket.incident_revision) == ("INC-NH920", 1)
    assert (ticket.origin, ticket.subject, ticket.text) == ("contact", None, ASKED)
    assert ticket.disruption is not None
    assert ticket.disruption.reference == "NH920"
    assert kinds(ticket)[-2:] == ["proactive", "proactive_notice"]
    assert ticket.timeline[-2].summary == f"Disruption joined this ticket: {request.summary}"


def test_a_later_revision_is_told_once_on_the_joined_ticket_whatever_its_status() -> None:
    ticket = own_ticket()
    join_disruption(ticket, disruption(), tracking_url="https://t/own", now=T0)
    ticket.resolve(code="rebooked", message="Rebooked.", agent="a", now=T0 + timedelta(hours=1))
    ticket.take_events()

    assert joining_ticket([ticket], disruption()) is ticket, "it is the incident's ticket now"
    join_disruption(ticket, disruption(), tracking_url="https://t/own", now=T0)  # another booking
    assert ticket.take_events() == []

    later = disruption(2)
    assert joining_ticket([ticket], later) is ticket
    join_disruption(ticket, later, tracking_url="https://t/own", now=T0 + timedelta(hours=2))
    [notice] = ticket.take_events()
    assert isinstance(notice, events.DisruptionNotice)
    assert notice.revision == 2
    assert ticket.timeline[-2].kind == "disruption_changed"
    assert ticket.status is TicketStatus.RESOLVED


def test_only_an_open_ticket_of_that_traveller_naming_that_reference_takes_it() -> None:
    resolved = own_ticket()
    resolved.resolve(code="rebooked", message="Done.", agent="a", now=T0)
    other_flight = own_ticket(
        text="CA1501?", references=[BookingReference(kind=ReferenceKind.FLIGHT, value="CA1501")]
    )
    elsewhere = own_ticket()
    elsewhere.incident_id = "INC-OTHER"
    someone_else = own_ticket(traveller=Traveller(id="trav-9"))

    for ticket in (resolved, other_flight, elsewhere, someone_else):
        assert joining_ticket([ticket], disruption()) is None


def test_the_most_recently_active_open_ticket_takes_it() -> None:
    older, newer = own_ticket(), own_ticket(channel_message_id="app-msg-2")
    newer.last_activity_at = older.last_activity_at + timedelta(minutes=5)

    assert joining_ticket([older, newer], disruption()) is newer


def round_trips(desk: Desk) -> int:
    """Reads and writes the stores answered since the last count (each find or batch)."""
    count = sum(len(c.finds) + len(c.bulk_writes) for c in desk.db.values())
    for collection in desk.db.values():
        collection.finds.clear()
        collection.bulk_writes.clear()
    return count


async def test_the_desk_tells_the_disruption_on_the_travellers_ticket_and_opens_none() -> None:
    desk = Desk()
    own, _ = await desk.intake.receive_contact(
        "acme", contact(channel_message_id="mail-1", text=ASKED)
    )
    assert own.reference_values == ["NH920"]

    told = await desk.desk.proactive_contact(envelope(disruption(), message_id="m-1"))
    again = await desk.desk.proactive_contact(envelope(disruption(), message_id="m-2"))

    assert told.id == again.id == own.id
    assert len(desk.db["tickets"].docs) == 1, "no second ticket for an agent to merge"
    stored = Ticket.model_validate(desk.db["tickets"].docs[own.id])
    assert (stored.incident_id, stored.incident_revision) == ("INC-NH920", 1)
    assert len(desk.sent("ticket.opened")) == 1, "the traveller's own opening only"
    assert len(desk.sent("ticket.disruption_notice")) == 1
    assert [t.id for t in await desk.desk.linked("acme", "INC-NH920")] == [own.id]


async def test_an_ordinary_proactive_ticket_costs_the_round_trips_it_did() -> None:
    """Three each (#20): the opening's read, its keys and the ticket; a revision's read, the
    ticket's load and its write. The look for the traveller's own ticket shares the read."""
    desk = Desk()
    await desk.intake.receive_contact("acme", contact(channel_message_id="app-1", text="CA1501?"))
    round_trips(desk)

    await desk.desk.proactive_contact(envelope(disruption(), message_id="m-1"))
    assert round_trips(desk) == 3
    await desk.desk.proactive_contact(envelope(disruption(2), message_id="m-2"))
    assert round_trips(desk) == 3
    assert len(desk.db["tickets"].docs) == 2


def test_routing_raises_the_travellers_own_case_to_the_joined_disruptions_priority() -> None:
    """Their ticket routed normal; the disruption, 3 h before departure, would have opened a
    critical proactive ticket: the first revision's notice raises the open case in place."""
    case = RoutingCase.blank("acme", "TC-1")
    case.take_opening(opened(Priority.NORMAL), triage())
    case.route(route(Priority.NORMAL, queue="general", assignee="agent-7"), T0, T0)
    case.take_events()

    assert case.revise_itinerary(notice(Priority.CRITICAL, revision=1), T0 + timedelta(hours=1))

    (raised,) = case.take_events()
    assert isinstance(raised, events.TicketRouted)
    assert (raised.rule, raised.priority) == ("urgency-raised", Priority.CRITICAL)
    assert (raised.queue, raised.assignee) == ("general", "agent-7")
