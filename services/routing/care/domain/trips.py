"""The trips read model: who holds which flight, hotel stay, train or car on which date.

Built from the booking system's ``booking.upserted`` / ``booking.cancelled``.
Pure: no I/O. Each segment is indexed by keys ``<resource>:<REFERENCE>:<date>``
(a hotel stay by one key per night, its first ``MAX_NIGHTS``), so a supplier event
finds every affected booking with one ``$in`` query on ``keys``. Dates are the segment's
local date (the offset the booking system sent), which is how airlines and hotels name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError

from contracts import events
from contracts.events import Channel, Traveller
from contracts.references import normal_reference
from runtime.aggregate import Aggregate
from runtime.clock import epoch_ms
from services.routing.care.domain.refusals import raise_invalid

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of routing's clock a booking system's version time may be. A later one is
refused: every real update after it would look older and be ignored (the booking locked)."""
IsoDate = Annotated[date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]
"""A date stored as ``YYYY-MM-DD``: BSON has datetimes only, and strings sort the same."""
MAX_NIGHTS = 60
"""A longer stay is indexed for its first 60 nights only: a booking may hold 100 segments,
and a key per night of each keeps its document and index bounded (6,000 keys). A supplier
event about a later night finds no one (docs/suppliers.md)."""


def segment_key(resource: str, reference: str, day: date) -> str:
    return f"{resource}:{normal_reference(reference, resource)}:{day.isoformat()}"


def local_days(resource: str, starts_at: datetime, ends_at: datetime | None) -> list[date]:
    """The dates a supplier event names a segment by, in the offsets the times carry: its
    day, or each night of a hotel stay."""
    first = starts_at.date()
    if resource != "hotel" or ends_at is None:
        return [first]
    nights = max(1, min((ends_at.date() - first).days, MAX_NIGHTS))
    return [first + timedelta(days=n) for n in range(nights)]


def nights(first: date, last: date | None) -> list[date]:
    """The dates a supplier event names: ``first`` alone, or each night of a span from
    ``first`` to ``last``, inclusive (``last_service_date``, bounded by the contract)."""
    count = 1 if last is None else max(1, (last - first).days + 1)
    return [first + timedelta(days=n) for n in range(count)]


def offset_minutes(moment: datetime) -> int | None:
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


class TripSegment(BaseModel):
    model_config = ConfigDict(frozen=True)

    resource: str
    reference: str
    starts_at: datetime
    ends_at: datetime | None = None
    service_days: list[IsoDate] = Field(default_factory=list)
    """``local_days`` as the booking system sent the times: the store hands instants back
    in UTC, where a 07:30+08:00 departure falls on the day before its own."""
    utc_offset_min: int | None = None
    """The offset ``starts_at`` was sent with (the place's local time), for the same reason:
    notices show times as the traveller's ticket does. None: stored before it was kept."""

    @classmethod
    def of(cls, segment: events.BookingSegment) -> TripSegment:
        return cls(
            resource=segment.kind,
            reference=normal_reference(segment.reference, segment.kind),
            starts_at=segment.starts_at,
            ends_at=segment.ends_at,
            service_days=local_days(segment.kind, segment.starts_at, segment.ends_at),
            utc_offset_min=offset_minutes(segment.starts_at),
        )

    @property
    def service_date(self) -> date:
        return self.days()[0]

    def days(self) -> list[date]:
        """The dates a supplier event names for this segment: each night of a hotel stay
        (read from the times when stored before ``service_days`` was kept)."""
        return self.service_days or local_days(self.resource, self.starts_at, self.ends_at)

    def index_keys(self) -> list[str]:
        return [segment_key(self.resource, self.reference, day) for day in self.days()]


def check_version(event: events.BookingUpserted | events.BookingCancelled, now: datetime) -> None:
    """Refuse a booking event dated beyond ``now`` plus the clock skew, as a validation error
    naming the field: a 422 over HTTP, a dead letter on the bus, nothing written."""
    if isinstance(event, events.BookingUpserted):
        field, moment = "updated_at", event.updated_at
    else:
        field, moment = "cancelled_at", event.cancelled_at
    if moment <= now + CLOCK_SKEW:
        return
    minutes = int(CLOCK_SKEW.total_seconds() // 60)
    error = PydanticCustomError(
        "in_the_future",
        "must not be more than {minutes} minutes ahead of routing's clock",
        {"minutes": minutes},
    )
    raise_invalid(type(event).__name__, (field,), moment.isoformat(), error)


class TripStatus:
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Trip(Aggregate):
    """One booking of one traveller, as the booking system last described it."""

    booking_id: str
    traveller: Traveller
    channel: Channel
    segments: list[TripSegment] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list)
    starts_ms: list[int] = Field(default_factory=list)
    ends_ms: int = 0
    status: str = TripStatus.ACTIVE
    updated_at: datetime | None = None

    @staticmethod
    def key(tenant_id: str, booking_id: str) -> str:
        return f"{tenant_id}/{booking_id}"

    @classmethod
    def blank(cls, tenant_id: str, booking: events.BookingUpserted) -> Trip:
        return cls(
            id=cls.key(tenant_id, booking.booking_id),
            tenant_id=tenant_id,
            booking_id=booking.booking_id,
            traveller=booking.traveller,
            channel=booking.channel,
        )

    @classmethod
    def cancelled_first(cls, tenant_id: str, booking_id: str) -> Trip:
        """A cancellation that overtook its booking: kept, so the late booking stays cancelled."""
        return cls(
            id=cls.key(tenant_id, booking_id),
            tenant_id=tenant_id,
            booking_id=booking_id,
            traveller=Traveller(id=booking_id),
            channel=Channel.IN_APP,
            status=TripStatus.CANCELLED,
        )

    def upsert(self, booking: events.BookingUpserted) -> None:
        """Take the booking's latest state; an older update arriving late changes nothing."""
        if self.updated_at is not None and booking.updated_at < self.updated_at:
            return
        self.traveller = booking.traveller
        self.channel = booking.channel
        self.segments = [TripSegment.of(s) for s in booking.segments]
        self.keys = sorted({key for s in self.segments for key in s.index_keys()})
        self.starts_ms = sorted(epoch_ms(s.starts_at) for s in self.segments)
        self.ends_ms = max((epoch_ms(s.ends_at or s.starts_at) for s in self.segments), default=0)
        self.status = TripStatus.ACTIVE
        self.updated_at = booking.updated_at

    def cancel(self, cancelled: events.BookingCancelled) -> None:
        if self.updated_at is not None and cancelled.cancelled_at < self.updated_at:
            return
        self.status = TripStatus.CANCELLED
        self.updated_at = cancelled.cancelled_at

    def affected(
        self, resource: str, reference: str, day: date, last: date | None = None
    ) -> list[TripSegment]:
        """This trip's segments a supplier event about ``reference`` on ``day`` (or each
        night from ``day`` to ``last``) hits: a stay holding any night of the span."""
        if self.status != TripStatus.ACTIVE:
            return []
        wanted = {segment_key(resource, reference, night) for night in nights(day, last)}
        return [s for s in self.segments if wanted.intersection(s.index_keys())]

    def next_departure(self, now: datetime) -> datetime | None:
        """The start of the traveller's next segment of this trip, if any is ahead."""
        if self.status != TripStatus.ACTIVE:
            return None
        ahead = [s.starts_at for s in self.segments if s.starts_at >= now]
        return min(ahead, default=None)


def travelling(trips: list[Trip], now: datetime) -> bool:
    """Between the first departure and the end of a live booking: SLA clocks run 24/7 (#7)."""
    return any(
        t.status == TripStatus.ACTIVE
        and t.ends_ms >= epoch_ms(now)
        and any(s.starts_at <= now for s in t.segments)
        for t in trips
    )


def next_departure(trips: list[Trip], now: datetime) -> datetime | None:
    """The traveller's next departure over all their bookings (issue #8: urgency)."""
    found = [d for t in trips if (d := t.next_departure(now)) is not None]
    return min(found, default=None)


@dataclass(frozen=True)
class Itinerary:
    """What routing asks of a traveller's bookings when a ticket opens, from one read."""

    departs_in: timedelta | None = None
    """Time to the next departure (urgency, issue #8)."""
    on_trip: bool = False
    """Travelling now: SLA clocks then run 24/7 (#7)."""

    @classmethod
    def of(cls, trips: list[Trip], now: datetime) -> Itinerary:
        departure = next_departure(trips, now)
        return cls(None if departure is None else departure - now, travelling(trips, now))
