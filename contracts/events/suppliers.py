"""The feeds routing's proactive care reads: partners' status events and bookings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event
from contracts.events.values import Channel, Traveller
from contracts.text import EARLIEST, LATEST, Instant, Line, Text


class SupplierStatusChanged(Event):
    schema_name: ClassVar[str] = "supplier.status"

    partner: Line = Field(max_length=64)
    kind: Line = Field(
        max_length=64, description="flight_cancelled, flight_delayed, hotel_overbooked, …"
    )
    reference: Line = Field(max_length=64, description="Flight number, hotel id, train number…")
    service_date: date = Field(ge=EARLIEST.date(), lt=LATEST.date())
    details: dict[Annotated[Line, Field(max_length=64)], Annotated[Text, Field(max_length=500)]] = (
        Field(default_factory=dict, max_length=50)
    )
    reported_at: Instant
    event_id: Line | None = Field(
        default=None, max_length=128, description="The partner's id: a re-sent event repeats it."
    )


class BookingSegment(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Line = Field(max_length=32, description="flight, hotel, train, car")
    reference: Line = Field(max_length=64)
    starts_at: Instant
    ends_at: Instant | None = None


class BookingUpserted(Event):
    schema_name: ClassVar[str] = "booking.upserted"

    booking_id: Line = Field(max_length=128)
    traveller: Traveller
    channel: Channel
    segments: list[BookingSegment] = Field(max_length=100)
    updated_at: Instant


class BookingCancelled(Event):
    """The booking system cancelled a whole booking: its segments no longer put anyone on board."""

    schema_name: ClassVar[str] = "booking.cancelled"

    booking_id: Line = Field(max_length=128)
    cancelled_at: Instant
