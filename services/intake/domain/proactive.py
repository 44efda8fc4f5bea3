"""Proactive care: the ticket TripCare opens for a traveller a disruption hits, and what it
tells them when the disruption changes. Pure; the ``Ticket`` methods of the same names call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from contracts import events
from contracts.events import BookingReference, Channel, Priority, ReferenceKind, Traveller
from contracts.languages import supported_language, text_in
from contracts.references import MATCHED_KINDS, canonical_references, normal_reference
from services.intake.domain.identity import answered_where_they_wrote, ticket_id_for
from services.intake.domain.language import reader_language
from services.intake.domain.records import DisruptionState
from services.intake.domain.status import TRANSITIONS, TicketStatus

if TYPE_CHECKING:
    from services.intake.domain.ticket import Ticket


def matched_kind(resource: str) -> ReferenceKind | None:
    """The kind of reference a disruption of this resource names (a flight's, a train's), read
    from the table routing clusters by (``contracts.references.MATCHED_KINDS``) so the two
    services agree on it; None for a resource matched by no reference (a hotel)."""
    return next((kind for kind, named in MATCHED_KINDS.items() if named == resource), None)


def proactive_thread_key(incident_id: str, traveller_id: str) -> str:
    """One proactive ticket per traveller and incident, however many bookings it hits."""
    return f"proactive:{incident_id}:{traveller_id}"


def open_ticket(
    cls: type[Ticket],
    tenant_id: str,
    request: events.ProactiveContactRequested,
    *,
    tracking_url: str,
    now: datetime,
) -> Ticket:
    """A ticket TripCare opens for a traveller a disruption hits: they hear from us first.

    One per traveller and incident (deterministic id); the proactive notice
    stands in for the acknowledgement.
    """
    thread_key = proactive_thread_key(request.incident_id, request.traveller.id)
    traveller = answered_where_they_wrote(request.traveller, request.channel)
    references = [BookingReference(kind=ReferenceKind.ORDER, value=request.booking_id)]
    if kind := matched_kind(request.resource):
        references.insert(0, BookingReference(kind=kind, value=request.reference))
    ticket = cls(
        id=ticket_id_for(tenant_id, thread_key),
        tenant_id=tenant_id,
        channel=request.channel,
        traveller=traveller,
        subject=request.summary,
        text=request.summary,
        language=supported_language(traveller.language),
        priority=request.priority,
        thread_key=thread_key,
        conversation_keys=[thread_key],
        references=references,
        reference_values=canonical_references(references),
        opened_at=now,
        opened_us=int(now.timestamp() * 1_000_000),
        last_activity_at=now,
        origin="proactive",
        incident_id=request.incident_id,
    )
    ticket._log(
        now,
        "proactive",
        "routing",
        f"Opened proactively: {request.summary}",
        service="routing",
        incident_id=request.incident_id,
        booking_id=request.booking_id,
    )
    ticket._announce_opening(now)
    ticket._move(TicketStatus.ACKNOWLEDGED, "be acknowledged")
    ticket.acknowledged_at = now
    tell_disruption(ticket, request, tracking_url, now)
    return ticket


def disruption_changed(
    ticket: Ticket, request: events.ProactiveContactRequested, *, tracking_url: str, now: datetime
) -> None:
    """A material change of the disruption: the traveller hears again, once per revision.

    The subject agents read becomes the latest revision's summary (a delay that became a
    cancellation reads "cancelled"); the ticket's text stays what it opened with, and the
    timeline keeps each revision as it was told. The notice carries the revision's priority
    for the traveller: routing raises the ticket to it when it is higher (docs/suppliers.md)."""
    if request.revision <= ticket.incident_revision:
        return
    ticket.subject = request.summary
    ticket._log(
        now,
        "disruption_changed",
        "routing",
        f"Disruption changed: {request.summary}",
        service="routing",
        revision=str(request.revision),
    )
    tell_disruption(ticket, request, tracking_url, now, priority=request.priority)


def joining_ticket(
    tickets: Iterable[Ticket], request: events.ProactiveContactRequested
) -> Ticket | None:
    """The traveller's own ticket the disruption joins instead of opening a proactive one.

    The one it joined already (told of an earlier revision) keeps it whatever its status, as a
    proactive ticket does; else their most recently active open ticket (not resolved or
    closed) naming the disrupted flight or train (padded or not: ``canonical_reference``),
    unless it belongs to another incident. None: a proactive ticket opens (docs/suppliers.md,
    "The traveller's own ticket")."""
    reference = normal_reference(request.reference, request.resource)
    theirs = [
        t
        for t in tickets
        if t.traveller.id == request.traveller.id and reference in t.reference_values
    ]
    told = [t for t in theirs if t.incident_id == request.incident_id and t.incident_revision]
    if told:
        return max(told, key=lambda t: t.last_activity_at)
    open_ones = [
        t
        for t in theirs
        if t.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        and t.incident_id in (None, request.incident_id)
    ]
    return max(open_ones, key=lambda t: t.last_activity_at, default=None)


def join_disruption(
    ticket: Ticket, request: events.ProactiveContactRequested, *, tracking_url: str, now: datetime
) -> None:
    """The disruption joins the traveller's own ticket: linked to the incident as a proactive
    ticket is, told on the timeline and to the traveller where a proactive notice would tell
    them (the booking's channel, their own preference first), once per revision.

    The notice carries the revision's priority, the first one's too (no ``ticket.opened``
    carries it here): routing raises the open case to it in place when it ranks higher
    (``revise_itinerary``). Subject and text stay the traveller's own."""
    if request.revision <= ticket.incident_revision:
        return
    ticket.incident_id = request.incident_id
    kind, summary = (
        ("disruption_changed", f"Disruption changed: {request.summary}")
        if ticket.incident_revision
        else ("proactive", f"Disruption joined this ticket: {request.summary}")
    )
    ticket._log(
        now,
        kind,
        "routing",
        summary,
        service="routing",
        incident_id=request.incident_id,
        booking_id=request.booking_id,
        revision=str(request.revision),
    )
    told = answered_where_they_wrote(request.traveller, request.channel)
    tell_disruption(
        ticket, request, tracking_url, now, priority=request.priority, to=(request.channel, told)
    )


def link_incident(ticket: Ticket, linked: events.IncidentLinked) -> None:
    """Routing clustered this contact into an open incident (bulk replies reach it)."""
    ticket.incident_id = ticket.incident_id or linked.incident_id
    ticket._log(
        linked.linked_at,
        "incident_linked",
        "routing",
        f"Linked to incident {linked.incident_id} ({linked.reference})",
        service="routing",
    )


def resolve_with_incident(
    ticket: Ticket, resolved: events.IncidentResolved, *, now: datetime
) -> None:
    """The desk closed the incident resolving its tickets: this one too, if it is still open
    (one already resolved or closed is left alone, so nobody hears twice). One under appeal
    is left to the appeal's reviewer (``appeal_review``): the step is only logged. The
    traveller is told the resolution's text in their language, else its ``message``."""
    if TicketStatus.RESOLVED not in TRANSITIONS[ticket.status]:
        return
    if ticket.pending_appeal is not None:
        summary = f"Incident {resolved.incident_id} closed; left open: its appeal is under review"
        ticket._log(now, "incident_resolved", resolved.resolved_by, summary)
        return
    ticket._log(
        now,
        "incident_resolved",
        resolved.resolved_by,
        f"Incident {resolved.incident_id} closed, resolving its tickets",
    )
    ticket.resolve(
        code=resolved.resolution_code,
        message=text_in(reader_language(ticket), resolved.messages, resolved.message),
        agent=resolved.resolved_by,
        now=now,
    )


def tell_disruption(
    ticket: Ticket,
    request: events.ProactiveContactRequested,
    tracking_url: str,
    now: datetime,
    *,
    priority: Priority | None = None,
    to: tuple[Channel, Traveller] | None = None,
) -> None:
    """The notice notify delivers; ``priority``: a later revision's, which routing raises the
    case to (the opening's is on ``ticket.opened``); ``to``: the channel and traveller it goes
    to, when not the ticket's (a joined ticket's, docs/suppliers.md)."""
    channel, traveller = to or (ticket.channel, ticket.traveller)
    ticket.incident_revision = request.revision
    ticket.disruption = DisruptionState(
        kind=request.kind,
        reference=request.reference,
        service_date=request.service_date,
        last_service_date=request.last_service_date,
        on_schedule=request.on_schedule,
    )
    ticket.last_activity_at = now
    ticket._log(now, "proactive_notice", "intake", f"Proactive notice {request.revision} sent")
    ticket.raise_event(
        events.DisruptionNotice(
            ticket_id=ticket.id,
            incident_id=request.incident_id,
            revision=request.revision,
            channel=channel,
            traveller=traveller,
            kind=request.kind,
            reference=request.reference,
            service_date=request.service_date,
            last_service_date=request.last_service_date,
            departs_at=request.departs_at,
            departs_utc_offset_min=request.departs_utc_offset_min,
            next_step=request.next_step,
            details=request.details,
            on_schedule=request.on_schedule,
            priority=priority,
            tracking_url=tracking_url,
            sent_at=now,
        )
    )
