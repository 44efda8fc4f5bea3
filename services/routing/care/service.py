"""Proactive care: the trips read model, supplier events, disruptions fanned out to every
affected traveller, and contacts clustered into open incidents (docs/suppliers.md).

The chain, one committed step per hop (each idempotent on the message id):

    HTTP (``ingress``) or bus ─▶ supplier.status ─▶ Disruption ─disruption.revised─▶ per tenant:
    TenantIncident (incident.opened/updated) + AffectedTraveller ─proactive.contact─▶ intake
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contracts import events
from contracts.envelope import Envelope
from contracts.references import MATCHED_KINDS, canonical_reference
from runtime.clock import Clock
from runtime.store import Repository
from services.routing.care.domain.care_keys import disruption_entries, trip_entries
from services.routing.care.domain.clustering import Candidate, choose_incident
from services.routing.care.domain.incidents import (
    AffectedTraveller,
    Disruption,
    TenantIncident,
    over,
)
from services.routing.care.domain.suppliers import (
    SUPPLIER_SCOPE,
    SupplierReport,
    SupplierSettings,
    check_event,
    ignored_details,
    normalise_kind,
)
from services.routing.care.domain.trips import (
    Itinerary,
    Trip,
    TripSegment,
    check_version,
)
from services.routing.care.ingress import Ingress, SupplierIngress
from services.routing.care.partners import PartnerSecrets
from services.routing.care.store import CareStore

log = logging.getLogger(__name__)
FAN_OUT_CONCURRENCY = 16


@dataclass(frozen=True)
class CareView:
    """What one read of a new ticket's care keys says (``ProactiveCare.about``)."""

    itinerary: Itinerary = field(default_factory=Itinerary)
    trips: list[Trip] = field(default_factory=list)
    disruptions: list[Disruption] = field(default_factory=list)


class ProactiveCare:
    def __init__(
        self,
        store: CareStore,
        reports: Repository[SupplierReport],
        clock: Clock,
        settings: SupplierSettings,
        partners: PartnerSecrets | None = None,
    ) -> None:
        self.store = store
        self.reports = reports
        self.clock = clock
        self.settings = settings
        self.partners = partners or PartnerSecrets(None, settings)
        self.ingress = SupplierIngress(store, reports, clock, self.partners)

    # ------------------------------------------------------------------ ingress (HTTP)

    async def receive_signed(
        self, partner: str, body: bytes, signature: str | None
    ) -> tuple[Ingress, SupplierReport]:
        """A partner's signed request (``SupplierIngress.receive_signed``)."""
        return await self.ingress.receive_signed(partner, body, signature)

    # ------------------------------------------------------------------ trips read model

    async def booking_upserted(self, envelope: Envelope[events.BookingUpserted]) -> None:
        """Apply the booking system's latest state (HTTP or bus); one dated ahead of our clock
        is refused before anything is written (``check_version``)."""
        booking = envelope.payload
        check_version(booking, self.clock.now())
        planned = Trip.blank(envelope.tenant_id, booking)
        planned.upsert(booking)
        await self.store.index(trip_entries(planned))  # its care key before the trip
        await self.store.trips.upsert(
            envelope,
            Trip.key(envelope.tenant_id, booking.booking_id),
            lambda: Trip.blank(envelope.tenant_id, booking),
            lambda trip: trip.upsert(booking),
        )

    async def booking_cancelled(self, envelope: Envelope[events.BookingCancelled]) -> None:
        cancelled = envelope.payload
        check_version(cancelled, self.clock.now())
        await self.store.trips.upsert(
            envelope,
            Trip.key(envelope.tenant_id, cancelled.booking_id),
            lambda: Trip.cancelled_first(envelope.tenant_id, cancelled.booking_id),
            lambda trip: trip.cancel(cancelled),
        )

    async def about(
        self,
        tenant_id: str,
        traveller_id: str | None,
        references: Iterable[events.BookingReference] = (),
        *,
        patient: bool = False,
    ) -> CareView:
        """The traveller's live bookings and the open disruptions of the flights and trains
        named, from one read of their care keys (#20); ``patient``: a consumed message's
        read, which may wait for other cases' company."""
        named = sorted({canonical_reference(r) for r in references if r.kind in MATCHED_KINDS})
        now = self.clock.now()
        trips, disruptions = await self.store.care_of(
            tenant_id, traveller_id, named, now, patient=patient
        )
        return CareView(Itinerary.of(trips, now), trips, disruptions)

    async def itinerary(self, tenant_id: str, traveller_id: str | None) -> Itinerary:
        """The traveller's next departure and whether they travel now, from one read."""
        return (await self.about(tenant_id, traveller_id)).itinerary

    async def departs_in(self, tenant_id: str, traveller_id: str | None) -> timedelta | None:
        """Time to the traveller's next departure, from the itinerary (urgency, issue #8)."""
        return (await self.itinerary(tenant_id, traveller_id)).departs_in

    async def on_trip(self, tenant_id: str, traveller_id: str | None) -> bool:
        """Whether the traveller is travelling now: their SLA clocks then run 24/7 (#7)."""
        return (await self.itinerary(tenant_id, traveller_id)).on_trip

    # ------------------------------------------------------------------ supplier events

    async def supplier_status(self, envelope: Envelope[events.SupplierStatusChanged]) -> None:
        """Every report of a disruption lands on its one ``Disruption``; unknown kinds are
        kept for the report and acknowledged (a partner's new kind never blocks the queue)."""
        status = envelope.payload
        check_event(status.kind, status.last_service_date, status.details)  # a dead letter
        kind = normalise_kind(status.kind)
        if kind is None:
            log.warning("supplier %s sent unknown kind %r", status.partner, status.kind)
            await self.store.keep_unknown(
                envelope.message_id,
                {
                    "partner": status.partner,
                    "kind": status.kind,
                    "reference": status.reference,
                    "service_date": status.service_date.isoformat(),
                    "last_service_date": status.last_service_date
                    and status.last_service_date.isoformat(),
                    "details": status.details,
                    "event_id": status.event_id,
                    "received_at": self.clock.now(),
                },
            )
            return
        for warning in ignored_details(kind, status.details):  # the HTTP answer's warnings
            log.warning("supplier %s: %s", status.partner, warning)
        first = Disruption.blank(status, kind)
        await self.store.index(disruption_entries(first))  # its care key before the write
        await self.store.disruptions.upsert(
            envelope,
            first.id,
            lambda: Disruption.blank(status, kind),
            lambda d: d.report(status, kind, self.clock.now()),
            tenant_id=SUPPLIER_SCOPE,
        )

    async def disruption_revised(self, envelope: Envelope[events.DisruptionRevised]) -> None:
        """Find every affected booking of every tenant; per tenant, refresh its incident view
        and ask intake to tell each traveller (once per revision). A disruption long over
        (``over``: two days past its date, a span's last night) tells nobody, nor does a
        revision the disruption has moved past (delivered late or again): the newer one's
        fan-out tells everyone it holds, and a guest only the older one held (a night a
        shorter span dropped) must not hear the older state."""
        revised = envelope.payload
        first, last = revised.service_date, revised.last_service_date
        if over(last or first, self.clock.now()):
            log.info("disruption %s of %s is over: nobody told", revised.incident_id, last or first)
            return
        disruption = await self.store.disruptions.get(SUPPLIER_SCOPE, revised.incident_id)
        if disruption is not None and revised.revision < disruption.revision:
            log.info("disruption %s revision %d is stale", revised.incident_id, revised.revision)
            return
        open_until_ms = disruption.open_until_ms if disruption else 0
        trips = await self.store.trips_on(revised.resource, revised.reference, first, last)
        by_tenant: dict[str, list[tuple[Trip, TripSegment]]] = defaultdict(list)
        for trip in trips:  # one per booking, however many of its nights the span holds
            segments = trip.affected(revised.resource, revised.reference, first, last)
            if segments:
                by_tenant[trip.tenant_id].append((trip, segments[0]))
        gate = asyncio.Semaphore(FAN_OUT_CONCURRENCY)

        async def tell(tenant_id: str, trip: Trip, segment: TripSegment) -> None:
            async with gate:
                await self._tell(envelope, tenant_id, trip, segment)

        await asyncio.gather(
            *(tell(t, trip, seg) for t, hits in by_tenant.items() for trip, seg in hits)
        )
        now = self.clock.now()
        for tenant_id, affected in by_tenant.items():
            travellers = len({trip.traveller.id for trip, _ in affected})  # not bookings
            await self._refresh_view(envelope, tenant_id, travellers, open_until_ms, now)

    async def _refresh_view(
        self,
        envelope: Envelope[events.DisruptionRevised],
        tenant_id: str,
        affected: int,
        open_until_ms: int,
        now: datetime,
    ) -> None:
        revised = envelope.payload

        def create() -> TenantIncident:
            return TenantIncident.open(tenant_id, revised, open_until_ms, now)

        def revise(view: TenantIncident) -> None:
            view.revise(revised, affected, now)

        key = TenantIncident.key(revised.incident_id, tenant_id)
        await self.store.incidents.upsert(envelope, key, create, revise, tenant_id=tenant_id)

    async def _tell(
        self,
        envelope: Envelope[events.DisruptionRevised],
        tenant_id: str,
        trip: Trip,
        seg: TripSegment,
    ) -> None:
        revised = envelope.payload

        def create() -> AffectedTraveller:
            return AffectedTraveller(
                id=AffectedTraveller.key(revised.incident_id, tenant_id, trip.booking_id),
                tenant_id=tenant_id,
                incident_id=revised.incident_id,
                booking_id=trip.booking_id,
                traveller=trip.traveller,
                channel=trip.channel,
                reference=revised.reference,
                departs_at=seg.starts_at,
                departs_utc_offset_min=seg.utc_offset_min,
            )

        await self.store.affected.upsert(
            envelope,
            AffectedTraveller.key(revised.incident_id, tenant_id, trip.booking_id),
            create,
            lambda affected: affected.tell(revised, self.clock.now(), seg),
            tenant_id=tenant_id,
        )

    # ------------------------------------------------------------------ clustering

    async def cluster(
        self, envelope: Envelope[events.TicketOpened], care: CareView | None = None
    ) -> str | None:
        """Link a traveller's new ticket to the open incident about the flight or train it
        names; returns the incident id. Proactive tickets are linked at birth. ``care``:
        what ``about`` already read for this ticket."""
        opened = envelope.payload
        if opened.proactive or opened.incident_id:
            return opened.incident_id
        if not any(r.kind in MATCHED_KINDS for r in opened.references):
            return None
        tenant_id = envelope.tenant_id
        if care is None:
            care = await self.about(tenant_id, opened.traveller.id, opened.references)
        open_ones, own = care.disruptions, care.trips
        if not open_ones:
            return None
        now = self.clock.now()
        chosen = choose_incident(
            [
                Candidate(
                    incident_id=d.id, key=d.key, reference=d.reference, service_date=d.service_date
                )
                for d in open_ones
            ],
            {key for trip in own for key in trip.keys},
            now.astimezone(UTC).date(),
        )
        if chosen is None:
            return None
        disruption = next(d for d in open_ones if d.id == chosen.incident_id)

        def view() -> TenantIncident:
            return TenantIncident.open(
                tenant_id, disruption.as_revised(), disruption.open_until_ms, now
            )

        def link(incident: TenantIncident) -> None:
            incident.link(opened.ticket_id, now)

        key = TenantIncident.key(chosen.incident_id, tenant_id)
        await self.store.incidents.upsert(envelope, key, view, link, tenant_id=tenant_id)
        return chosen.incident_id
