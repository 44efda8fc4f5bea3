"""Supplier disruptions, each tenant's incidents and the proactive contacts they cause."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.events.values import Channel, Priority, Traveller


class NextStep(StrEnum):
    """What happens after a proactive notice (docs/suppliers.md)."""

    REBOOKING = "rebooking"
    """An agent is already rebooking or rehousing the traveller."""
    OPTIONS = "options"
    """Nothing is needed; the traveller may ask for alternatives."""


SPAN = (
    "A hotel's last night of the span affected, inclusive; absent: service_date alone "
    "(docs/suppliers.md)."
)


class DisruptionRevised(Event):
    """Routing's record of one supplier disruption changed (all tenants; scope ``_suppliers``).

    Routing consumes it itself to find the affected travellers of every tenant.
    """

    schema_name: ClassVar[str] = "disruption.revised"

    incident_id: str
    partner: str
    kind: str = Field(description="Normalised kind: flight_cancelled, hotel_overbooked, …")
    resource: str = Field(description="flight, hotel, train or car")
    reference: str
    service_date: date
    last_service_date: date | None = Field(default=None, description=SPAN)
    revision: int = Field(ge=1, description="Counts material changes; travellers hear of each.")
    material: bool = Field(description="False: details changed, nobody is told again.")
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    summary: str
    reported_at: datetime


class IncidentOpened(Event):
    """One tenant's view of a disruption opened: it has travellers affected or contacts about it."""

    schema_name: ClassVar[str] = "incident.opened"

    incident_id: str
    kind: str
    reference: str
    service_date: date
    last_service_date: date | None = Field(default=None, description=SPAN)
    affected: int = Field(ge=0, description="This tenant's affected booking segments.")
    opened_at: datetime


class IncidentUpdated(Event):
    """A tenant's incident changed: a new revision of the disruption, or more travellers."""

    schema_name: ClassVar[str] = "incident.updated"

    incident_id: str
    kind: str
    last_service_date: date | None = Field(
        default=None, description=SPAN + " The span as it stands: a revision may change it."
    )
    revision: int = Field(ge=1)
    material: bool
    affected: int = Field(ge=0)
    linked_tickets: int = Field(ge=0)
    closed: bool = Field(default=False, description="The tenant closed it: no more clustering.")
    updated_at: datetime


ON_SCHEDULE = (
    "The delay has cleared for this booking (delay_minutes 0, or a new_departure at its "
    "booked departure): the traveller, told of the delay before, is told it departs as planned."
)


class ProactiveContactRequested(Event):
    """Routing asks intake to open (or update) a proactive ticket for one affected traveller."""

    schema_name: ClassVar[str] = "proactive.contact"

    incident_id: str
    revision: int = Field(ge=1)
    traveller: Traveller
    channel: Channel = Field(description="The booking's channel: where the traveller is reached.")
    booking_id: str
    kind: str
    resource: str
    reference: str
    service_date: date
    last_service_date: date | None = Field(default=None, description=SPAN)
    departs_at: datetime = Field(description="Start of the affected segment (itinerary).")
    departs_utc_offset_min: int | None = Field(
        default=None,
        ge=-18 * 60,
        le=18 * 60,
        description="The offset the booking gave the segment's start (its local time).",
    )
    priority: Priority = Field(description="critical when the segment starts within 6 h.")
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    summary: str = Field(description="One line for the ticket's text and the agent.")
    on_schedule: bool = Field(default=False, description=ON_SCHEDULE)
    requested_at: datetime


class DisruptionNotice(Event):
    """Intake tells a traveller of a disruption on their trip; notify delivers it."""

    schema_name: ClassVar[str] = "ticket.disruption_notice"

    ticket_id: str
    incident_id: str
    revision: int = Field(ge=1)
    channel: Channel
    traveller: Traveller
    kind: str
    reference: str
    service_date: date
    last_service_date: date | None = Field(
        default=None, description=SPAN + " The notice names the span."
    )
    departs_at: datetime
    departs_utc_offset_min: int | None = Field(
        default=None,
        ge=-18 * 60,
        le=18 * 60,
        description="The segment's local offset: times the partner sent without one are shown "
        "in it.",
    )
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    on_schedule: bool = Field(default=False, description=ON_SCHEDULE)
    priority: Priority | None = Field(
        default=None,
        description="A later revision's priority for the traveller (proactive.contact's): "
        "routing raises the ticket to it, never lowers it. None on the notice the ticket "
        "opened with (ticket.opened carries that one).",
    )
    tracking_url: str
    sent_at: datetime


class IncidentLinked(Event):
    """Routing clustered a traveller's contact into an open incident; intake marks the ticket."""

    schema_name: ClassVar[str] = "incident.linked"

    incident_id: str
    ticket_id: str
    reference: str
    linked_at: datetime


class IncidentResolved(Event):
    """A tenant's desk closed its incident resolving the tickets linked to it (the problem
    ticket of a help desk): intake resolves each one still open with the text of the
    language the ticket speaks (``messages``), else ``message``, which the traveller hears
    once, on their channel, like any resolution. Once per incident."""

    schema_name: ClassVar[str] = "incident.resolved"

    incident_id: str
    resolution_code: str = Field(description="Recorded on every ticket it resolves.")
    message: str = Field(
        description="What a traveller whose language `messages` lacks is told (the "
        "resolution's text): the close's `message`, else its English text, else its first."
    )
    messages: dict[str, str] = Field(
        default_factory=dict,
        description="The resolution's text per language (zh-Hans, zh-Hant, en, ja): each "
        "traveller is told the one of their ticket's language. Empty: `message` for all.",
    )
    resolved_by: str
    resolved_at: datetime
