"""Supplier events: which kinds TripCare understands, and which partners may send them.

Pure. Partners spell kinds their own way (``FLIGHT_CANCELED``, ``gate-change``);
``normalise_kind`` maps them onto one vocabulary or says it does not know the
kind — an unknown kind is stored and reported, never a crash (docs/suppliers.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, NoReturn

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from contracts import events
from contracts.events import NextStep
from contracts.references import normal_reference
from contracts.text import EARLIEST, LATEST, secret
from runtime.aggregate import Aggregate
from services.routing.care.domain.refusals import raise_invalid
from services.routing.care.domain.trips import IsoDate

SUPPLIER_SCOPE = "_suppliers"
"""The tenant id of supplier events and disruptions: they belong to no customer, and no
customer tenant can be named so (tenant ids start with a letter or digit)."""


@dataclass(frozen=True)
class KindInfo:
    resource: str
    next_step: NextStep
    label: str


KINDS: dict[str, KindInfo] = {
    "flight_delayed": KindInfo("flight", NextStep.OPTIONS, "flight delayed"),
    "flight_cancelled": KindInfo("flight", NextStep.REBOOKING, "flight cancelled"),
    "flight_schedule_change": KindInfo("flight", NextStep.OPTIONS, "gate or schedule change"),
    "flight_diverted": KindInfo("flight", NextStep.REBOOKING, "flight diverted"),
    "hotel_overbooked": KindInfo("hotel", NextStep.REBOOKING, "hotel overbooked"),
    "hotel_closed": KindInfo("hotel", NextStep.REBOOKING, "hotel closed"),
    "hotel_reservation_not_found": KindInfo(
        "hotel", NextStep.REBOOKING, "hotel reservation not found"
    ),
    "hotel_cancelled": KindInfo("hotel", NextStep.REBOOKING, "stay cancelled by the hotel"),
    "hotel_date_change": KindInfo("hotel", NextStep.OPTIONS, "stay moved by the hotel"),
    "train_delayed": KindInfo("train", NextStep.OPTIONS, "train delayed"),
    "train_cancelled": KindInfo("train", NextStep.REBOOKING, "train cancelled"),
    "train_schedule_change": KindInfo(
        "train", NextStep.OPTIONS, "train platform or schedule change"
    ),
    "car_no_show": KindInfo("car", NextStep.REBOOKING, "car did not show up"),
}

ALIASES: dict[str, str] = {
    "flight_delay": "flight_delayed",
    "delayed": "flight_delayed",
    "flight_cancellation": "flight_cancelled",
    "cancelled": "flight_cancelled",
    "gate_change": "flight_schedule_change",
    "flight_gate_change": "flight_schedule_change",
    "schedule_change": "flight_schedule_change",
    "flight_time_change": "flight_schedule_change",
    "diverted": "flight_diverted",
    "flight_diversion": "flight_diverted",
    "overbooked": "hotel_overbooked",
    "hotel_overbooking": "hotel_overbooked",
    "reservation_not_found": "hotel_reservation_not_found",
    "hotel_no_reservation": "hotel_reservation_not_found",
    "hotel_maintenance": "hotel_closed",
    "hotel_closure": "hotel_closed",
    "hotel_cancellation": "hotel_cancelled",
    "stay_cancelled": "hotel_cancelled",
    "reservation_cancelled": "hotel_cancelled",
    "hotel_reservation_cancelled": "hotel_cancelled",
    "check_in_date_change": "hotel_date_change",
    "check_in_change": "hotel_date_change",
    "hotel_dates_change": "hotel_date_change",
    "train_delay": "train_delayed",
    "train_cancellation": "train_cancelled",
    "platform_change": "train_schedule_change",
    "train_platform_change": "train_schedule_change",
    "train_time_change": "train_schedule_change",
    "car_noshow": "car_no_show",
    "no_show": "car_no_show",
}


def normalise_kind(kind: str) -> str | None:
    """The kind in TripCare's vocabulary, or None when it is unknown."""
    word = "_".join(kind.strip().lower().replace("-", " ").replace(".", " ").split())
    word = word.replace("canceled", "cancelled")
    word = ALIASES.get(word, word)
    return word if word in KINDS else None


SPANNED = frozenset({"hotel"})
"""The resources an event may name a span of nights of (``last_service_date``): a flight or
a train has one departure date, a car one pick-up."""


def check_span(kind: str, last_service_date: date | None) -> None:
    """Refuse a span on a kind that names one date, as a validation error naming the field:
    a 422 over HTTP, a dead letter on the bus, nothing written. Read as that one date, a
    partner's "flight cancelled 26th to 28th" would silently tell only the 26th. An unknown
    kind's span is kept as sent, with the event, for the operator."""
    known = normalise_kind(kind)
    if last_service_date is None or known is None or KINDS[known].resource in SPANNED:
        return
    error = PydanticCustomError(
        "span_not_allowed",
        "a {resource} event names one service_date: send one event per date",
        {"resource": KINDS[known].resource},
    )
    raise_invalid("SupplierEventIn", ("last_service_date",), last_service_date.isoformat(), error)


PARTNER_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
"""A supplier partner's name, as ``/v1/suppliers/{partner}/events`` names it."""


def _partner_id(name: str) -> str:
    if re.fullmatch(PARTNER_ID, name) is None:
        raise ValueError(
            f"partner {name!r} must be what the path names: lower-case letters, digits, "
            "- and _, 64 at most"
        )
    return name


PartnerId = Annotated[str, AfterValidator(_partner_id)]
SigningSecret = Annotated[str, secret(min_length=1, max_length=1024)]
"""A blank one signs for anyone: the HMAC of an empty key is anybody's to compute."""


DELAYED = frozenset({"flight", "train"})
"""The resources whose events' ``delay_minutes`` TripCare reads: a departure that can be late.
A hotel's or a car's is kept for agents like any detail not read, told nobody, and warned of
(``ignored_details``): it read "hotel overbooked: … (+30 min)"."""


def reads_delay(kind: str | None) -> bool:
    """Whether this kind's ``delay_minutes`` is read; an unknown kind's is checked as sent
    (it may be a flight's kind not mapped yet), a known hotel's or car's is not."""
    return kind is None or KINDS[kind].resource in DELAYED


def ignored_details(kind: str | None, details: dict[str, str]) -> list[str]:
    """What the partner's answer warns of: details sent and not read for this kind."""
    if "delay_minutes" not in details or reads_delay(kind):
        return []
    resource = KINDS[kind].resource if kind else ""
    return [
        f"details.delay_minutes is read on flight and train events only: kept for agents on "
        f"this {resource} event, told to nobody"
    ]


def refuse(key: str, value: str, error: PydanticCustomError) -> NoReturn:
    """Refuse a supplier event for its ``details.<key>`` (``value`` as sent), as a validation
    error naming the key: a 422 over HTTP, a dead letter on the bus, nothing written. Every
    check of a detail ends here, so each names the key the same way."""
    raise_invalid("SupplierEventIn", ("details", key), value, error)


MAX_DELAY_MINUTES = 7 * 24 * 60
"""The longest delay a partner may report (a week): beyond it (``10**30``, 400 digits) the
number is a partner's bug, and it went straight into the summary and the notice."""


def check_delay(kind: str, details: dict[str, str]) -> None:
    """Refuse a negative ``delay_minutes``, or one beyond ``MAX_DELAY_MINUTES``, as a
    validation error naming the key (a 422 over HTTP, a dead letter on the bus, nothing
    written): a flight leaving early taken as a delay told every traveller "is delayed" (the
    notice tells only positive minutes), and ``10**30`` was told as sent. A hotel's or a
    car's is not read (``reads_delay``), so not refused: that lost the overbooking."""
    if not reads_delay(normalise_kind(kind)):
        return
    value = details.get("delay_minutes", "")
    try:
        minutes = float(value)  # a 400-digit integer is inf, not an OverflowError
    except ValueError:
        return  # not a number: kept as sent, never compared (docs/suppliers.md)
    if minutes < 0:
        error = PydanticCustomError(
            "delay_negative",
            "must not be negative: a departure brought forward is a flight_schedule_change "
            "(train_schedule_change) with its new_departure",
        )
    elif minutes > MAX_DELAY_MINUTES:
        error = PydanticCustomError(
            "delay_too_long",
            "must be at most {limit} minutes (7 days): a longer one is a cancellation",
            {"limit": MAX_DELAY_MINUTES},
        )
    else:
        return
    refuse("delay_minutes", value, error)


def check_departure(details: dict[str, str]) -> None:
    """Refuse a ``new_departure`` date-time without a UTC offset as a validation error naming
    the key (a 422 over HTTP, a dead letter on the bus, nothing written). Read as UTC, the
    airport's local 14:30 was told in Shanghai as 22:30; TripCare knows no airport's time
    zone, and a booking's fixed offset is an hour off across a daylight-saving change, so it
    asks rather than guesses. Not a date-time (``TBD``), or a "no time" sentinel outside the
    years an instant may be (``0001-01-01T00:00:00``), is kept as sent, never compared."""
    value = details.get("new_departure", "")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return
    if moment.tzinfo is not None or not EARLIEST.year <= moment.year < LATEST.year:
        return
    error = PydanticCustomError(
        "departure_without_offset",
        "has no UTC offset: send the airport's or station's local time with its offset "
        "(2026-11-26T14:30:00+08:00) or UTC (2026-11-26T06:30:00Z); TripCare does not guess "
        "the time zone",
    )
    refuse("new_departure", value, error)


def check_event(kind: str, last_service_date: date | None, details: dict[str, str]) -> None:
    """Every check of a supplier event beyond its model's (span, delay, departure, in that
    order): the one call both edges make, over HTTP (``ingress``) and on the bus
    (``service``), so a check added here holds on both."""
    check_span(kind, last_service_date)
    check_delay(kind, details)
    check_departure(details)


class Partner(BaseModel):
    """One supplier allowed to push events; two secrets are active while it rotates."""

    model_config = ConfigDict(frozen=True)

    secrets: list[SigningSecret] = Field(min_length=1, max_length=2)
    name: str | None = None


class SupplierSettings(BaseModel):
    """Partners allowed by the environment (``TRIPCARE_SUPPLIER_PARTNERS``:
    ``{"ca": {"secrets": ["new", "old"]}, …}``, JSON) and the operator's tenant, read by
    ``config.RoutingSettings``."""

    model_config = ConfigDict(frozen=True)

    partners: dict[PartnerId, Partner] = Field(default_factory=dict)
    operator_tenant: str = Field(
        default="tripcare",
        description="``TRIPCARE_SUPPLIER_OPERATOR_TENANT``: the platform operator's own tenant; "
        "only its admins manage partners' secrets and see their unknown events (partners "
        "serve every tenant).",
    )


class SupplierReport(Aggregate):
    """One event a partner pushed over HTTP: its id de-duplicates re-sends, and its outbox
    puts it on the bus as ``supplier.status`` (the same path as partners on the bus)."""

    partner: str
    event_id: str
    kind: str
    known: bool
    reference: str
    service_date: IsoDate
    last_service_date: IsoDate | None = None
    received_at: datetime
    content: str | None = None
    """``event_content`` of the event; None on a report stored before it was kept."""

    @staticmethod
    def key(partner: str, event_id: str) -> str:
        return f"{partner}:{event_id}"

    @classmethod
    def receive(cls, status: events.SupplierStatusChanged, event_id: str) -> SupplierReport:
        report = cls(
            id=cls.key(status.partner, event_id),
            tenant_id=SUPPLIER_SCOPE,
            partner=status.partner,
            event_id=event_id,
            kind=status.kind,
            known=normalise_kind(status.kind) is not None,
            reference=status.reference,
            service_date=status.service_date,
            last_service_date=status.last_service_date,
            received_at=status.reported_at,
            content=event_content(status),
        )
        report.raise_event(status.model_copy(update={"event_id": event_id}))
        return report


def reused_id(known: SupplierReport | None, report: SupplierReport) -> str | None:
    """Why ``report`` is refused when ``known`` holds its id yet is another event (answered
    as a duplicate, it would be lost); None for a new id or the same event again. A report
    kept before its content was counts as the same."""
    if known is None or known.content is None or known.content == report.content:
        return None
    dates = known.service_date.isoformat()
    if known.last_service_date is not None:
        dates += f" to {known.last_service_date.isoformat()}"
    return (
        f"event_id {known.event_id!r} was already used for another event ({known.kind} "
        f"{known.reference} on {dates}): send it with its own event_id"
    )


def event_content(status: events.SupplierStatusChanged) -> str:
    """A digest of what the event says, as routing reads it: the kind in TripCare's
    vocabulary, the reference normalised (``ca 1501`` is ``CA1501``), the date and the details
    as text (``90`` is ``"90"``), in any key order, and a span's last night (only when there
    is one: an event without it keeps the digest it had before spans). ``reported_at`` is
    left out: a partner's retry may stamp it anew, and it defaults to when routing received
    the event."""
    kind = normalise_kind(status.kind)
    resource = KINDS[kind].resource if kind else None
    said = [
        kind or status.kind.strip().lower(),
        normal_reference(status.reference, resource),
        status.service_date.isoformat(),
        sorted(status.details.items()),
    ]
    if status.last_service_date is not None:
        said.append(status.last_service_date.isoformat())
    return hashlib.sha256(json.dumps(said, ensure_ascii=False).encode()).hexdigest()
