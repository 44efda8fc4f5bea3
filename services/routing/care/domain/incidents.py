"""Disruptions and incidents: correlation, storm handling, urgency. Pure, time passed in.

- ``Disruption``: one per supplier disruption (resource + reference + service
  date), across tenants, in the ``_suppliers`` scope. Every report of it lands
  here; a *material* change (docs/suppliers.md) raises a new revision, which is
  what travellers hear about. Repeats and small changes only update it.
- ``TenantIncident``: one tenant's view of a disruption (same incident id): its
  affected travellers' count and the contacts clustered into it. A tenant sees
  only its own view.
- ``AffectedTraveller``: one affected booking; asks intake for a proactive
  ticket once per revision.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from contracts import events
from contracts.events import Channel, NextStep, Priority, Traveller
from contracts.references import normal_reference
from runtime.aggregate import Aggregate
from runtime.clock import epoch_ms
from services.routing.care.domain.changes import (
    Snapshot,
    back_on_schedule,
    material_change,
    summary_of,
)
from services.routing.care.domain.suppliers import KINDS, SUPPLIER_SCOPE
from services.routing.care.domain.trips import IsoDate, TripSegment, segment_key

CRITICAL_WITHIN = timedelta(hours=6)
"""A proactive ticket whose segment starts within this is critical, else high."""
OPEN_AFTER_SERVICE = timedelta(days=2)
"""Contacts are clustered into an incident until two days after its service date."""
EVENT_IDS_KEPT = 64
ON_TIME_UNTOLD = "on schedule, nobody told of a delay: nobody is told"


def incident_id_for(resource: str, reference: str, service_date: date) -> str:
    """Deterministic: every report of one disruption, from any partner, finds the same one."""
    key = segment_key(resource, reference, service_date)
    return "INC-" + hashlib.sha256(key.encode()).hexdigest()[:12].upper()


def proactive_priority(departs_at: datetime, now: datetime) -> Priority:
    """The itinerary decides: the segment starts within 6 h (or has started) → critical."""
    return Priority.CRITICAL if departs_at - now <= CRITICAL_WITHIN else Priority.HIGH


class Disruption(Aggregate):
    """Every report of one disruption, across partners and tenants."""

    resource: str
    reference: str
    service_date: IsoDate
    last_service_date: IsoDate | None = None
    """The last night of a span the latest report names; None: ``service_date`` alone. A
    disruption is keyed by its first night, so a revised span is a revision of it."""
    partner: str
    kind: str
    details: dict[str, str] = Field(default_factory=dict)
    revision: int = 0
    told: Snapshot | None = None
    """What the last revision told travellers."""
    reports: int = 0
    event_ids: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    open_until_ms: int = 0
    reported_at: datetime | None = None
    """When the partner observed the state this holds: a report observed earlier,
    arriving late, is out of date."""

    @classmethod
    def blank(cls, status: events.SupplierStatusChanged, kind: str) -> Disruption:
        resource = KINDS[kind].resource
        reference = normal_reference(status.reference, resource)
        return cls(
            id=incident_id_for(resource, reference, status.service_date),
            tenant_id=SUPPLIER_SCOPE,
            resource=resource,
            reference=reference,
            service_date=status.service_date,
            last_service_date=status.last_service_date,
            partner=status.partner,
            kind=kind,
        )

    @property
    def key(self) -> str:
        return segment_key(self.resource, self.reference, self.service_date)

    @property
    def last_night(self) -> date:
        """The last date it names: its open window runs from there."""
        return self.last_service_date or self.service_date

    def report(self, status: events.SupplierStatusChanged, kind: str, now: datetime) -> None:
        """Take one report: a new revision if it is material, else only an update.

        A partner re-sending the same event (same partner and ``event_id``) changes
        nothing but the report count; identical content under a new id neither. A report
        observed before the one this holds (delivered out of order) is history, not
        news: travellers told "cancelled" must not hear "delayed 45 min" after it.
        """
        self.reports += 1
        if status.event_id is not None:
            seen = f"{status.partner}:{status.event_id}"  # each partner numbers its own
            if seen in self.event_ids:
                return
            self.event_ids = [*self.event_ids, seen][-EVENT_IDS_KEPT:]
        observed = min(status.reported_at, now)  # a clock ahead must not lock the disruption
        if self.reported_at is not None and observed < self.reported_at:
            self.history.append(f"{now.isoformat()} out of date: reported {observed.isoformat()}")
            return
        self.reported_at = observed
        said = (kind, status.details, status.last_service_date)
        if self.opened_at is not None and said == (self.kind, self.details, self.last_service_date):
            return
        after = Snapshot(
            kind=kind, details=status.details, last_service_date=status.last_service_date
        )
        why = material_change(self.told, after)
        if why is None and self.told is None:  # a delay already over: no incident to open
            self.history.append(f"{now.isoformat()} {ON_TIME_UNTOLD}")
            return
        self.kind, self.details, self.partner = kind, dict(status.details), status.partner
        self.last_service_date = status.last_service_date
        self.opened_at = self.opened_at or now
        self.updated_at = now
        self.open_until_ms = open_until_ms(self.last_night)
        if why is not None:
            self.revision += 1
            self.told = after
            self.history.append(f"{now.isoformat()} revision {self.revision}: {why}")
        else:
            self.history.append(f"{now.isoformat()} updated, not material")
        self.raise_event(self.as_revised(material=why is not None))

    def as_revised(self, *, material: bool = False) -> events.DisruptionRevised:
        """The disruption as it stands, in the shape tenant views are built from."""
        return events.DisruptionRevised(
            incident_id=self.id,
            partner=self.partner,
            kind=self.kind,
            resource=self.resource,
            reference=self.reference,
            service_date=self.service_date,
            last_service_date=self.last_service_date,
            revision=max(self.revision, 1),
            material=material,
            next_step=KINDS[self.kind].next_step,
            details=self.details,
            summary=summary_of(
                self.kind, self.reference, self.service_date, self.details, self.last_service_date
            ),
            reported_at=self.updated_at or self.opened_at or datetime.min.replace(tzinfo=UTC),
        )


def open_until_ms(service_date: date) -> int:
    """When a disruption of this service date (a span's last night) stops taking contacts:
    the end of that day (UTC) plus ``OPEN_AFTER_SERVICE``; known before any report is
    applied (care keys)."""
    end_of_day = datetime.combine(service_date, datetime.min.time(), tzinfo=UTC)
    return epoch_ms(end_of_day + timedelta(days=1) + OPEN_AFTER_SERVICE)


def over(service_date: date, now: datetime) -> bool:
    """A disruption past its open window: its travellers have long travelled (or not), so a
    notice now ("an agent is rebooking you") is wrong, and a critical ticket a false alarm."""
    return epoch_ms(now) > open_until_ms(service_date)


class Resolution(BaseModel):
    """What closing an incident told the travellers whose tickets it resolved."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    messages: dict[str, str] = Field(default_factory=dict)
    """The text per language (each traveller told theirs); ``message`` for the others."""


class TenantIncident(Aggregate):
    """One tenant's view of a disruption: same incident id, only its own travellers."""

    incident_id: str
    resource: str
    reference: str
    service_date: IsoDate
    last_service_date: IsoDate | None = None
    kind: str
    summary: str
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    revision: int = 0
    revised_at: datetime | None = None
    """The ``reported_at`` of the revision it holds: with ``revision``, what orders the
    revisions (and the updates within one) the bus may deliver in any order. None: a view
    stored before it was kept."""
    affected: int = 0
    linked_tickets: list[str] = Field(default_factory=list)
    opened_at: datetime
    updated_at: datetime
    open_until_ms: int = 0
    closed_at: datetime | None = None
    closed_by: str | None = None
    resolution: Resolution | None = None
    """How the desk resolved the tickets linked to it, when it did (once)."""

    @staticmethod
    def key(incident_id: str, tenant_id: str) -> str:
        return f"{incident_id}@{tenant_id}"

    @classmethod
    def open(
        cls, tenant_id: str, revised: events.DisruptionRevised, open_until_ms: int, now: datetime
    ) -> TenantIncident:
        incident = cls(
            id=cls.key(revised.incident_id, tenant_id),
            tenant_id=tenant_id,
            incident_id=revised.incident_id,
            resource=revised.resource,
            reference=revised.reference,
            service_date=revised.service_date,
            last_service_date=revised.last_service_date,
            kind=revised.kind,
            summary=revised.summary,
            next_step=revised.next_step,
            details=revised.details,
            revision=revised.revision,
            revised_at=revised.reported_at,
            opened_at=now,
            updated_at=now,
            open_until_ms=open_until_ms,
        )
        incident.raise_event(
            events.IncidentOpened(
                incident_id=incident.incident_id,
                kind=incident.kind,
                reference=incident.reference,
                service_date=incident.service_date,
                last_service_date=incident.last_service_date,
                affected=0,
                opened_at=now,
            )
        )
        return incident

    def revise(self, revised: events.DisruptionRevised, affected: int, now: datetime) -> None:
        """The disruption changed (or this is its first revision): refresh the view.

        One older than the view holds (a lower revision, or an earlier update of the same
        one), delivered late or again, changes nothing: the view never goes back."""
        if self.older(revised):
            return
        self.kind, self.summary, self.details = revised.kind, revised.summary, revised.details
        self.next_step, self.last_service_date = revised.next_step, revised.last_service_date
        self.revision, self.revised_at = revised.revision, revised.reported_at
        self.affected = max(self.affected, affected)
        self.updated_at = now
        self._updated(revised.material, now)

    def older(self, revised: events.DisruptionRevised) -> bool:
        """Whether ``revised`` is behind the revision the view holds (the same one is not)."""
        if revised.revision != self.revision or self.revised_at is None:
            return revised.revision < self.revision
        return revised.reported_at < self.revised_at

    def link(self, ticket_id: str, now: datetime) -> bool:
        """Cluster a traveller's contact into this incident; False if it already is, or if
        the tenant closed the incident."""
        if ticket_id in self.linked_tickets or self.closed_at is not None:
            return False
        self.linked_tickets.append(ticket_id)
        self.updated_at = now
        self.raise_event(
            events.IncidentLinked(
                incident_id=self.incident_id,
                ticket_id=ticket_id,
                reference=self.reference,
                linked_at=now,
            )
        )
        return True

    def close(self, by: str, now: datetime, resolve: Resolution | None = None) -> None:
        """The tenant's desk is done with it: new contacts are no longer clustered here.

        ``resolve``: also resolve every ticket linked to it still open (intake does,
        on ``incident.resolved``), each traveller told ``resolve``'s text of their
        language, else its ``message``. Once per incident: closing again, with or without
        it, changes nothing; an incident closed without it may be closed again with it.
        """
        if self.closed_at is None:
            self.closed_at, self.closed_by, self.updated_at = now, by, now
            self._updated(False, now)
        if resolve is None or self.resolution is not None:
            return
        self.resolution, self.updated_at = resolve, now
        self.raise_event(
            events.IncidentResolved(
                incident_id=self.incident_id,
                resolution_code=resolve.code,
                message=resolve.message,
                messages=dict(resolve.messages),
                resolved_by=by,
                resolved_at=now,
            )
        )

    def _updated(self, material: bool, now: datetime) -> None:
        self.raise_event(
            events.IncidentUpdated(
                incident_id=self.incident_id,
                kind=self.kind,
                last_service_date=self.last_service_date,
                revision=max(self.revision, 1),
                material=material,
                affected=self.affected,
                linked_tickets=len(self.linked_tickets),
                closed=self.closed_at is not None,
                updated_at=now,
            )
        )


class AffectedTraveller(Aggregate):
    """One booking a disruption hits; told once per revision."""

    incident_id: str
    booking_id: str
    traveller: Traveller
    channel: Channel
    reference: str
    departs_at: datetime
    departs_utc_offset_min: int | None = None
    notified_revision: int = 0
    priority: Priority = Priority.HIGH

    @staticmethod
    def key(incident_id: str, tenant_id: str, booking_id: str) -> str:
        raw = f"{incident_id}\x1f{tenant_id}\x1f{booking_id}".encode()
        return "AFF-" + hashlib.sha256(raw).hexdigest()[:20]

    def tell(
        self, revised: events.DisruptionRevised, now: datetime, segment: TripSegment | None = None
    ) -> None:
        """Ask intake for the proactive ticket (or its update) if this revision is news.

        ``segment``: the booking's segment as it is now; the booking system may have moved
        it since the first revision, and the notice, the urgency and whether the flight is
        back on schedule are read against the booking as it is, not as it was."""
        if segment is not None:
            self.departs_at, self.departs_utc_offset_min = segment.starts_at, segment.utc_offset_min
        if not revised.material or revised.revision <= self.notified_revision:
            return
        on_schedule = back_on_schedule(revised.kind, revised.details, self.departs_at)
        if on_schedule and not self.notified_revision:
            return  # never told of the delay: its end is no news to them
        self.notified_revision = revised.revision
        self.priority = proactive_priority(self.departs_at, now)
        self.raise_event(
            events.ProactiveContactRequested(
                incident_id=self.incident_id,
                revision=revised.revision,
                traveller=self.traveller,
                channel=self.channel,
                booking_id=self.booking_id,
                kind=revised.kind,
                resource=revised.resource,
                reference=revised.reference,
                service_date=revised.service_date,
                last_service_date=revised.last_service_date,
                departs_at=self.departs_at,
                departs_utc_offset_min=self.departs_utc_offset_min,
                priority=self.priority,
                next_step=revised.next_step,
                details=revised.details,
                summary=revised.summary,
                on_schedule=on_schedule,
                requested_at=now,
            )
        )
