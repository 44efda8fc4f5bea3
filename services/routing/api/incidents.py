"""A tenant's view of disruptions: its own affected travellers and clustered tickets only;
other tenants' incidents are 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, model_validator

from contracts.events import NextStep, Priority
from contracts.language_texts import LanguageTexts
from contracts.text import one_line
from runtime.auth import ManagerScope, StaffScope
from runtime.errors import StrictJsonRoute
from runtime.idempotency import (
    Answer,
    IdempotencyDep,
    IdempotencyKey,
    body_fingerprints,
    of_staff,
    once,
)
from runtime.store import NotFound
from services.routing.api.deps import CareDep
from services.routing.care.domain.incidents import Resolution, TenantIncident

router = APIRouter(prefix="/v1", tags=["incidents"], route_class=StrictJsonRoute)


class AffectedView(BaseModel):
    booking_id: str
    traveller_id: str
    reference: str
    departs_at: datetime
    priority: Priority
    notified_revision: int


class IncidentView(BaseModel):
    id: str
    kind: str
    resource: str
    reference: str
    service_date: date
    last_service_date: date | None = Field(
        default=None, description="A hotel's last night of the span affected; null: one night."
    )
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
    resolution_message: str | None = Field(
        default=None,
        description="Closed resolving its linked tickets: what travellers were told whose "
        "language `resolution_messages` lacks.",
    )
    resolution_messages: dict[str, str] = Field(
        default_factory=dict,
        description="Closed resolving its linked tickets: the text per language, each "
        "traveller told the one of their language.",
    )
    travellers: list[AffectedView] | None = None


class ResolvingFirst(BaseModel):
    """``resolve_linked``, declared in a base of its own so that it stays the first of
    ``CloseIn``'s fields: the body's JSON, which Idempotency-Key's stored fingerprints
    were taken of, keeps its order."""

    resolve_linked: StrictBool = Field(
        default=False,
        description="Also resolve every ticket of the incident still open in your tenant "
        "(proactive and clustered), each traveller told the text of their language "
        "(`messages`), else `message`, on their channel, once.",
    )


class CloseIn(LanguageTexts, ResolvingFirst):
    """Optional: without a body, closing only stops clustering."""

    resolution_code: Annotated[str, one_line(min_length=1, max_length=64)] = "incident_resolved"

    @model_validator(mode="after")
    def _message_with_resolution(self) -> CloseIn:
        if self.resolve_linked and not self.written():
            raise ValueError("resolve_linked needs the message travellers are told")
        if self.written() and not self.resolve_linked:
            raise ValueError("a message is sent only when resolving: set resolve_linked")
        return self

    def resolution(self) -> Resolution | None:
        if not self.resolve_linked:
            return None
        return Resolution(
            code=self.resolution_code,
            message=self.default_text(),
            messages=dict(self.messages),
        )


def incident_view(incident: TenantIncident) -> IncidentView:
    return IncidentView(
        id=incident.incident_id,
        kind=incident.kind,
        resource=incident.resource,
        reference=incident.reference,
        service_date=incident.service_date,
        last_service_date=incident.last_service_date,
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
        resolution_message=incident.resolution.message if incident.resolution else None,
        resolution_messages=incident.resolution.messages if incident.resolution else {},
    )


@router.get("/incidents")
async def list_incidents(
    scope: StaffScope, care: CareDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[IncidentView]:
    """This tenant's incidents, most recently changed first."""
    return [incident_view(i) for i in await care.store.incidents_of(scope.tenant, limit)]


@router.get("/incidents/{incident_id}")
async def get_incident(incident_id: str, scope: StaffScope, care: CareDep) -> IncidentView:
    """One incident as this tenant sees it, with its affected travellers."""
    incident = await care.store.incidents.get(
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
        for a in await care.store.affected_of(scope.tenant, incident_id)
    ]
    return view


@router.post(
    "/incidents/{incident_id}/close",
    response_model=IncidentView,
    responses={404: {"description": "No such incident in your tenant."}},
)
async def close_incident(
    incident_id: str,
    scope: ManagerScope,
    care: CareDep,
    idempotency: IdempotencyDep,
    body: CloseIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Close this tenant's incident (managers): later contacts are no longer clustered.

    With ``resolve_linked`` and a ``message`` or ``messages``, every ticket of it still open
    in this tenant is resolved too (by intake, within seconds), each traveller told the
    text of their language (else ``message``) once, on their channel; tickets already
    resolved or closed are left as they are.
    """
    resolve = body.resolution() if body else None

    async def produce() -> Answer:
        try:
            closed = await care.store.incidents.change(
                scope.tenant,
                TenantIncident.key(incident_id, scope.tenant),
                lambda incident: incident.close(scope.actor, care.clock.now(), resolve),
            )
        except NotFound as exc:  # by the id the caller used, not the tenant's storage key
            raise NotFound(incident_id) from exc
        return 200, incident_view(closed).model_dump(mode="json")

    request, older = body_fingerprints(
        body or CloseIn(), "close-incident", incident_id, added=["messages"]
    )
    return await once(idempotency, of_staff(scope), key, request, produce, older=older)
