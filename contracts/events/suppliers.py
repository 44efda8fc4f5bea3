"""The feeds routing's proactive care reads: partners' status events and bookings."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from contracts.envelope import Event
from contracts.events.values import Channel, Traveller
from contracts.text import EARLIEST, LATEST, TEXT_PATTERN, Instant, free_text, one_line

_NOT_SCALAR = {dict: "an object", list: "an array", type(None): "null"}


def detail_text(value: object) -> object:
    """A partner's detail as the text TripCare keeps (docs/suppliers.md): partner systems
    send numbers and booleans, and ``90`` must read as ``90`` (never ``90.0``), so
    ``delay_minutes`` stays a whole number of minutes whatever JSON type carried it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return f"{Decimal(repr(value + 0.0)).normalize():f}"  # repr: shortest digits; -0 is 0
    if (what := _NOT_SCALAR.get(type(value))) is not None:
        raise ValueError(f"must be a string, a number or a boolean, not {what}")
    return value


DetailValue = Annotated[
    str,
    free_text(max_length=500),  # first: a length after a validator counts items (contracts.text)
    BeforeValidator(detail_text),  # wraps the string's checks, so runs before them
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": 500, "pattern": TEXT_PATTERN},
                {"type": "number"},
                {"type": "boolean"},
            ]
        }
    ),
]
"""One detail's value: a string, or a number or boolean kept as its text (``detail_text``)."""
Details = dict[Annotated[str, one_line(max_length=64)], DetailValue]

MAX_SPAN_NIGHTS = 31
"""The most nights one event may name (``last_service_date``): a month holds a typhoon, a
weekend's power cut or a renovation; a longer closure is reported month by month, so one
event's fan-out stays one bounded query (a key per night) within the nights a stay is
indexed for (``MAX_NIGHTS``, 60)."""
LAST_SERVICE_DATE = (
    "A hotel's last night of the span the event affects (``YYYY-MM-DD``, inclusive), from "
    "``service_date`` on; absent (or equal to ``service_date``): that night alone. At most "
    f"{MAX_SPAN_NIGHTS} nights; a flight, train or car names one date, so a span is refused."
)
SpanEnd = Annotated[date, Field(ge=EARLIEST.date(), lt=LATEST.date())]


def span_end(last: date | None, info: ValidationInfo) -> date | None:
    """``last_service_date`` checked against ``service_date``: not before it, at most
    ``MAX_SPAN_NIGHTS`` nights in all; the same date is no span (None), so that event reads
    exactly as one sent without it (its de-duplication digest included)."""
    first = info.data.get("service_date")
    if last is None or first is None:
        return last
    if last < first:
        raise ValueError("must not be before service_date")
    if (last - first).days >= MAX_SPAN_NIGHTS:
        raise ValueError(f"must be within {MAX_SPAN_NIGHTS} nights of service_date (inclusive)")
    return None if last == first else last


class SupplierStatusChanged(Event):
    schema_name: ClassVar[str] = "supplier.status"

    partner: Annotated[str, one_line(max_length=64)]
    kind: Annotated[str, one_line(max_length=64)] = Field(
        description="flight_cancelled, flight_delayed, hotel_overbooked, …"
    )
    reference: Annotated[str, one_line(max_length=64)] = Field(
        description="Flight number, hotel id, train number…"
    )
    service_date: date = Field(ge=EARLIEST.date(), lt=LATEST.date())
    last_service_date: SpanEnd | None = Field(default=None, description=LAST_SERVICE_DATE)
    details: Details = Field(
        default_factory=dict,
        max_length=50,
        description="delay_minutes, new_departure, gate, terminal, new_date, diverted_to, … "
        "(docs/suppliers.md); numbers and booleans are kept as text.",
    )
    reported_at: Instant
    event_id: Annotated[str, one_line(max_length=128)] | None = Field(
        default=None, description="The partner's id: a re-sent event repeats it."
    )

    _span = field_validator("last_service_date")(span_end)


SEGMENT_KINDS = ("flight", "hotel", "train", "car")
"""What a booking's segment may be; a supplier event names one of these resources."""


def _segment_kind(value: str) -> str:
    kind = value.lower()
    if kind not in SEGMENT_KINDS:
        raise ValueError(f"must be one of {', '.join(SEGMENT_KINDS)}")
    return kind


class BookingSegment(BaseModel):
    """One leg of a booking. An unknown kind or an end before the start is refused (a 422
    over HTTP, a dead letter on the bus): dropped silently, the traveller would never hear
    of a disruption on it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Annotated[str, one_line(max_length=32), AfterValidator(_segment_kind)] = Field(
        description="flight, hotel, train or car (any case; kept lower-case)."
    )
    reference: Annotated[str, one_line(max_length=64)]
    starts_at: Instant = Field(
        description="With the place's own offset, as on the ticket (07:30+08:00): partners "
        "name a segment by its local date, read from this. Sent in UTC (23:30Z the day "
        "before), a morning flight east of Greenwich is filed under the wrong date and its "
        "disruption tells nobody."
    )
    ends_at: Instant | None = None

    @field_validator("ends_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if value is not None and starts_at is not None and value < starts_at:
            raise ValueError("must not be before starts_at")
        return value


MAX_SEGMENTS = 100
"""The most segments one booking holds, on the bus and over HTTP (``PUT /v1/bookings``): a
long trip's flights, trains, stays and cars, with ``MAX_NIGHTS`` bounding a stay's keys."""


class BookingUpserted(Event):
    schema_name: ClassVar[str] = "booking.upserted"

    booking_id: Annotated[str, one_line(max_length=128)]
    traveller: Traveller
    channel: Channel
    segments: list[BookingSegment] = Field(max_length=MAX_SEGMENTS)
    updated_at: Instant


class BookingCancelled(Event):
    """The booking system cancelled a whole booking: its segments no longer put anyone on board."""

    schema_name: ClassVar[str] = "booking.cancelled"

    booking_id: Annotated[str, one_line(max_length=128)]
    cancelled_at: Instant
