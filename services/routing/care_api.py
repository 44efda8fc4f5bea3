"""Routing's HTTP API for proactive care: the signed supplier ingress and incident views.

- ``POST /v1/suppliers/{partner}/events``: a partner pushes one status event,
  signed over the raw body (``X-TripCare-Signature``, docs/suppliers.md).
- ``GET /v1/suppliers/unknown-events``: kinds TripCare did not understand (the platform
  operator's admins).
- ``GET /v1/incidents`` and ``/v1/incidents/{id}``: a tenant's view of disruptions —
  its own affected travellers and clustered tickets only; other tenants' are 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from contracts.events import Channel, NextStep, Priority
from runtime.auth import AdminScope, ManagerScope, StaffScope
from runtime.errors import StrictJsonRoute
from runtime.store import NotFound
from runtime.web import schema_ref
from runtime.webhook_signature import HEADER
from services.routing.care.domain.incidents import TenantIncident, incident_id_for
from services.routing.care.domain.suppliers import KINDS, normalise_kind
from services.routing.care.domain.trips import TripStatus, normal_reference, segment_key
from services.routing.care.service import Ingress, ProactiveCare, Refused, SupplierEventIn

PARTNER = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class UnknownEventView(BaseModel):
    """A partner's event of a kind TripCare does not map yet."""

    id: str
    partner: str
    kind: str
    reference: str
    service_date: str
    details: dict[str, str]
    event_id: str | None
    received_at: datetime


class AffectedView(BaseModel):
    booking_id: str
    traveller_id: str
    reference: str
    departs_at: datetime
    priority: Priority
    notified_revision: int


class TripView(BaseModel):
    booking_id: str
    traveller_id: str
    channel: Channel
    language: str | None
    starts_at: datetime


class SegmentView(BaseModel):
    booking_id: str
    resource: str = Field(description="flight, hotel, train or car")
    reference: str
    starts_at: datetime
    ends_at: datetime | None = None


class IncidentView(BaseModel):
    id: str
    kind: str
    resource: str
    reference: str
    service_date: date
    summary: str
    next_step: NextStep
    details: dict[str, str]
    revision: int
    affected: int
    linked_tickets: list[str]
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    travellers: list[AffectedView] | None = None


def incident_view(incident: TenantIncident) -> IncidentView:
    return IncidentView(
        id=incident.incident_id,
        kind=incident.kind,
        resource=incident.resource,
        reference=incident.reference,
        service_date=incident.service_date,
        summary=incident.summary,
        next_step=incident.next_step,
        details=incident.details,
        revision=incident.revision,
        affected=incident.affected,
        linked_tickets=incident.linked_tickets,
        opened_at=incident.opened_at,
        updated_at=incident.updated_at,
        closed_at=incident.closed_at,
        closed_by=incident.closed_by,
    )


def care_router(care: ProactiveCare) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=StrictJsonRoute)
    store = care.store

    @api.post(
        "/suppliers/{partner}/events",
        tags=["partners"],
        status_code=202,
        responses={
            200: {"description": "A re-send of an event already accepted: nothing changes."},
            401: {"description": "Unknown partner, missing, forged or stale signature."},
            409: {"description": "This exact signature was used before (a replay)."},
            422: {"description": "The body is not a supplier event."},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema_ref(SupplierEventIn)}},
            }
        },
    )
    async def supplier_event(
        partner: Annotated[str, Path(pattern=PARTNER)],
        request: Request,
        signature: Annotated[
            str | None,
            Header(alias=HEADER, description="t=<unix seconds>,v1=<hex HMAC-SHA256>"),
        ] = None,
    ) -> JSONResponse:
        """One status event of a partner airline, hotel, rail or car supplier.

        The body (JSON: ``event_id``, ``kind``, ``reference``, ``service_date``,
        ``details``) is signed with one of the partner's active secrets over
        ``"<t>." + raw body``; the timestamp must be within 5 minutes. Unknown
        kinds are accepted and reported, never refused.
        """
        body = await request.body()
        try:
            outcome, report = await care.receive_signed(partner, body, signature)
        except Refused as refused:
            return JSONResponse({"detail": refused.detail}, status_code=refused.status)
        kind = normalise_kind(report.kind)
        answer: dict[str, Any] = {
            "outcome": outcome.value,
            "event_id": report.event_id,
            "kind": kind,
            "known_kind": kind is not None,
        }
        if kind is not None:
            answer["incident_id"] = incident_id_for(
                KINDS[kind].resource, normal_reference(report.reference), report.service_date
            )
        return JSONResponse(answer, status_code=202 if outcome is Ingress.ACCEPTED else 200)

    @api.get("/trips", tags=["trips"])
    async def trips_on(
        scope: StaffScope,
        resource: Annotated[Literal["flight", "hotel", "train", "car"], Query()],
        reference: Annotated[str, Query(min_length=1, max_length=64)],
        day: Annotated[date, Query(alias="date")],
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> list[TripView]:
        """Who of this tenant holds this flight, train, car or hotel night on that date."""
        key = segment_key(resource, reference, day)
        found = await store.tenant_trips_on(scope.tenant, key, limit)
        return [
            TripView(
                booking_id=trip.booking_id,
                traveller_id=trip.traveller.id,
                channel=trip.channel,
                language=trip.traveller.language,
                starts_at=segment.starts_at,
            )
            for trip in found
            for segment in trip.affected(resource, reference, day)[:1]
        ]

    @api.get("/travellers/{traveller_id}/itinerary", tags=["trips"])
    async def itinerary(
        scope: StaffScope,
        traveller_id: Annotated[str, Path(min_length=1, max_length=128)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> list[SegmentView]:
        """The traveller's segments not yet over, soonest first (the console's trip context)."""
        now = care.clock.now()
        trips = await store.trips_of(scope.tenant, traveller_id, now)
        ahead = sorted(
            (
                SegmentView(booking_id=trip.booking_id, **segment.model_dump())
                for trip in trips
                if trip.status == TripStatus.ACTIVE
                for segment in trip.segments
                if (segment.ends_at or segment.starts_at) >= now
            ),
            key=lambda view: view.starts_at,
        )
        return ahead[:limit]

    @api.get(
        "/suppliers/unknown-events",
        tags=["suppliers"],
        responses={403: {"description": "Not an admin of the platform operator's tenant."}},
    )
    async def unknown_events(
        scope: AdminScope, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> list[UnknownEventView]:
        """Supplier events of kinds TripCare does not know yet, newest first (to map them).

        Partners serve every tenant, so their events belong to none: this list is for the
        admins of the platform operator's tenant (``TRIPCARE_SUPPLIER_OPERATOR_TENANT``).
        """
        if scope.tenant != care.settings.operator_tenant:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "partners' unknown events are for the platform operator"
            )
        found = await store.unknown_events(limit)
        return [UnknownEventView.model_validate({**doc, "id": doc["_id"]}) for doc in found]

    @api.get("/incidents", tags=["incidents"])
    async def list_incidents(
        scope: StaffScope, limit: Annotated[int, Query(ge=1, le=200)] = 50
    ) -> list[IncidentView]:
        """This tenant's incidents, most recently changed first."""
        return [incident_view(i) for i in await store.incidents_of(scope.tenant, limit)]

    @api.get("/incidents/{incident_id}", tags=["incidents"])
    async def get_incident(incident_id: str, scope: StaffScope) -> IncidentView:
        """One incident as this tenant sees it, with its affected travellers."""
        incident = await store.incidents.get(
            scope.tenant, TenantIncident.key(incident_id, scope.tenant)
        )
        if incident is None:
            raise NotFound(incident_id)
        view = incident_view(incident)
        view.travellers = [
            AffectedView(
                booking_id=a.booking_id,
                traveller_id=a.traveller.id,
                reference=a.reference,
                departs_at=a.departs_at,
                priority=a.priority,
                notified_revision=a.notified_revision,
            )
            for a in await store.affected_of(scope.tenant, incident_id)
        ]
        return view

    @api.post("/incidents/{incident_id}/close", tags=["incidents"])
    async def close_incident(incident_id: str, scope: ManagerScope) -> IncidentView:
        """Close this tenant's incident (managers): later contacts are no longer clustered."""
        closed = await store.incidents.change(
            scope.tenant,
            TenantIncident.key(incident_id, scope.tenant),
            lambda incident: incident.close(scope.actor, care.clock.now()),
        )
        return incident_view(closed)

    return api
