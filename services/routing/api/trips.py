"""Trips as the bookings read model holds them: who is on a segment, a traveller's itinerary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from contracts.events import Channel
from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from services.routing.api.deps import CareDep
from services.routing.care.domain.trips import TripStatus, segment_key

router = APIRouter(prefix="/v1", tags=["trips"], route_class=StrictJsonRoute)


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


@router.get("/trips")
async def trips_on(
    scope: StaffScope,
    resource: Annotated[Literal["flight", "hotel", "train", "car"], Query()],
    reference: Annotated[str, Query(min_length=1, max_length=64)],
    day: Annotated[date, Query(alias="date")],
    care: CareDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[TripView]:
    """Who of this tenant holds this flight, train, car or hotel night on that date."""
    key = segment_key(resource, reference, day)
    found = await care.store.tenant_trips_on(scope.tenant, key, limit)
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


@router.get("/travellers/{traveller_id:path}/itinerary")
async def itinerary(
    scope: StaffScope,
    traveller_id: Annotated[
        str, Path(min_length=1, max_length=260, description="Percent-encoded: `a%2Fb` is `a/b`.")
    ],
    care: CareDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SegmentView]:
    """The traveller's segments not yet over, soonest first (the console's trip context).

    The id is the path up to ``/itinerary`` and as long as intake takes one: a customer's
    ``a/b`` comes percent-encoded, and Starlette matches the decoded path."""
    now = care.clock.now()
    trips = await care.store.trips_of(scope.tenant, traveller_id, now)
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
