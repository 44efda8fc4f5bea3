"""Supplier partners' events: the signed ingress, and the kinds TripCare did not understand.

- ``POST /v1/suppliers/{partner}/events``: a partner pushes one status event,
  signed over the raw body (``X-TripCare-Signature``, docs/suppliers.md).
- ``GET /v1/suppliers/unknown-events``: kinds TripCare did not understand (the platform
  operator's admins).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from contracts.references import normal_reference
from runtime.auth import AdminScope
from runtime.errors import StrictJsonRoute, parse_body
from runtime.web import schema_ref
from runtime.webhook_signature import HEADER
from services.routing.api.deps import CareDep
from services.routing.api.models import PARTNER
from services.routing.care.domain.changes import Snapshot, delay_cleared
from services.routing.care.domain.incidents import incident_id_for, over
from services.routing.care.domain.suppliers import (
    KINDS,
    SUPPLIER_SCOPE,
    SupplierReport,
    ignored_details,
    normalise_kind,
)
from services.routing.care.ingress import Ingress, Refused, SupplierEventIn
from services.routing.care.service import ProactiveCare

router = APIRouter(prefix="/v1", route_class=StrictJsonRoute)


class UnknownEventView(BaseModel):
    """A partner's event of a kind TripCare does not map yet."""

    id: str
    partner: str
    kind: str
    reference: str
    service_date: str
    last_service_date: str | None = None
    details: dict[str, str]
    event_id: str | None
    received_at: datetime


ACCEPTED = (
    "Accepted: `outcome`, `event_id`, `kind`, `known_kind`, `warnings` "
    "(details sent and not read: a hotel's or car's `delay_minutes`), "
    "`incident_id` (null when the event opens no incident: an unknown kind, a service "
    "date over, a delay of 0 before any delay was told) and `reason` (why it is null; "
    "docs/suppliers.md)."
)
NOT_AN_EVENT = (
    "The body is not a supplier event (a `last_service_date` before `service_date`, over 31 "
    "nights, or on a flight, train or car included; a negative `details.delay_minutes`: send "
    "a flight_schedule_change; one over a week; a `details.new_departure` without a UTC "
    "offset)."
)


@router.post(
    "/suppliers/{partner}/events",
    tags=["partners"],
    status_code=202,
    responses={
        202: {"description": ACCEPTED},
        200: {"description": "A re-send of an event already accepted: nothing changes."},
        401: {"description": "Unknown partner, missing, forged or stale signature."},
        409: {
            "description": "This exact signature was used before (a replay), or the "
            "`event_id` was already used for another event."
        },
        422: {"description": NOT_AN_EVENT},
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
    care: CareDep,
    signature: Annotated[
        str | None,
        Header(alias=HEADER, description="t=<unix seconds>,v1=<hex HMAC-SHA256>"),
    ] = None,
) -> JSONResponse:
    """One status event of a partner airline, hotel, rail or car supplier.

    The body (JSON: ``event_id``, ``kind``, ``reference``, ``service_date``, a hotel's
    optional ``last_service_date``, ``details``) is signed with one of the partner's active
    secrets over ``"<t>." + raw body``; the timestamp must be within 5 minutes. Unknown
    kinds are accepted and reported, never refused.
    """
    body = await request.body()
    try:
        outcome, report = await care.receive_signed(partner, body, signature)
    except Refused as refused:
        return refusal(refused)
    kind = normalise_kind(report.kind)
    details = parse_body(SupplierEventIn, body).details  # verified and parsed once already
    answer: dict[str, Any] = {
        "outcome": outcome.value,
        "event_id": report.event_id,
        "kind": kind,
        "known_kind": kind is not None,
        "warnings": ignored_details(kind, details),
        **incident_answer(
            kind, report, care.clock.now(), await untold(care, kind, report, details)
        ),
    }
    return JSONResponse(answer, status_code=202 if outcome is Ingress.ACCEPTED else 200)


def refusal(refused: Refused) -> JSONResponse:
    """The ingress's refusal; a 422 goes through the shared handler, which words a body not
    sent as JSON as every endpoint does (answered here, a form post read "JSON decode
    error")."""
    if refused.status == status.HTTP_422_UNPROCESSABLE_CONTENT:
        raise RequestValidationError(refused.detail) from refused
    return JSONResponse({"detail": refused.detail}, status_code=refused.status)


def incident_of(kind: str, report: SupplierReport) -> str:
    resource = KINDS[kind].resource
    reference = normal_reference(report.reference, resource)
    return incident_id_for(resource, reference, report.service_date)


async def untold(
    care: ProactiveCare, kind: str | None, report: SupplierReport, details: dict[str, str]
) -> bool:
    """A delay of 0 while nobody was told of a delay (as routing holds the disruption when
    it answers): it opens no incident (``changes.material_change``)."""
    if kind is None:
        return False
    if not delay_cleared(Snapshot(kind=kind, details=details)):
        return False
    held = await care.store.disruptions.get(SUPPLIER_SCOPE, incident_of(kind, report))
    return held is None or held.told is None


def incident_answer(
    kind: str | None, report: SupplierReport, now: datetime, untold: bool = False
) -> dict[str, Any]:
    """``incident_id`` only when the event can open one, else null and the ``reason``: an
    unknown kind, a service date over (``over``) or a delay cleared before anyone was told
    of it (``untold``) tells nobody and opens nothing, and an id named then was a 404 at
    every tenant's ``GET /v1/incidents/{id}``."""
    if kind is None:
        return {"incident_id": None, "reason": "unknown kind: kept for the operator, no incident"}
    last = report.last_service_date or report.service_date
    if over(last, now):
        return {
            "incident_id": None,
            "reason": f"service date {last.isoformat()} is over (incidents stay "
            "open two days after it): nobody is told, no incident opens",
        }
    if untold:
        return {
            "incident_id": None,
            "reason": "a delay of 0 while nobody was told of a delay: nobody is told of its "
            "end, no incident opens",
        }
    return {"incident_id": incident_of(kind, report), "reason": None}


@router.get(
    "/suppliers/unknown-events",
    tags=["suppliers"],
    responses={403: {"description": "Not an admin of the platform operator's tenant."}},
)
async def unknown_events(
    scope: AdminScope, care: CareDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[UnknownEventView]:
    """Supplier events of kinds TripCare does not know yet, newest first (to map them).

    Partners serve every tenant, so their events belong to none: this list is for the
    admins of the platform operator's tenant (``TRIPCARE_SUPPLIER_OPERATOR_TENANT``).
    """
    if scope.tenant != care.settings.operator_tenant:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "partners' unknown events are for the platform operator"
        )
    found = await care.store.unknown_events(limit)
    return [UnknownEventView.model_validate({**doc, "id": doc["_id"]}) for doc in found]
