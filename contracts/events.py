"""Versioned integration events. ``schema_name`` is also the routing key.

Breaking changes get a new class with a higher ``schema_version``; a field is
never renamed or retyped in place.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB_CHAT = "web_chat"
    IN_APP = "in_app"
    WECHAT = "wechat"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    WEB_FORM = "web_form"


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Traveller(BaseModel):
    """Who contacted us, and how they want to hear back."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(
        default=None, description="Preferred language tag: zh-Hans, zh-Hant, en, ja."
    )


class ContactReceived(Event):
    """One inbound contact from a channel gateway (the normalised ``InboundContact``)."""

    schema_name: ClassVar[str] = "contact.received"

    channel: Channel
    channel_message_id: str = Field(
        min_length=1, max_length=256, description="The gateway's id; redeliveries repeat it."
    )
    traveller: Traveller
    text: str = Field(min_length=1, max_length=20_000)
    subject: str | None = Field(default=None, max_length=500)
    conversation_key: str | None = Field(default=None, max_length=256)
    language_hint: str | None = None
    booking_refs: list[str] = Field(default_factory=list, max_length=20)
    received_at: datetime


class TicketOpened(Event):
    schema_name: ClassVar[str] = "ticket.opened"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    subject: str | None = None
    text: str
    priority: Priority = Priority.NORMAL
    opened_at: datetime


class TicketAcknowledged(Event):
    schema_name: ClassVar[str] = "ticket.acknowledged"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    tracking_url: str
    acknowledged_at: datetime


class TicketRouted(Event):
    schema_name: ClassVar[str] = "ticket.routed"

    ticket_id: str
    traveller: Traveller
    queue: str
    assignee: str | None = None
    priority: Priority
    first_response_due: datetime
    resolution_due: datetime
    reason: str = Field(description="Why this queue and priority: shown on the timeline.")
    routed_at: datetime


class TicketResolved(Event):
    schema_name: ClassVar[str] = "ticket.resolved"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    resolution_code: str
    message: str
    resolved_by: str
    opened_at: datetime
    first_response_at: datetime
    resolved_at: datetime
    resolution_count: int = Field(ge=1, description="1 for the first resolution, 2 after a reopen…")


class TicketReopened(Event):
    schema_name: ClassVar[str] = "ticket.reopened"

    ticket_id: str
    traveller: Traveller
    reason: str
    priority: Priority
    reopened_at: datetime


class NotificationDelivered(Event):
    schema_name: ClassVar[str] = "notification.delivered"

    notification_id: str
    ticket_id: str | None
    recipient: str
    channel: str
    template: str
    language: str
    source_message_id: str
    delivered_at: datetime


class NotificationFailed(Event):
    schema_name: ClassVar[str] = "notification.failed"

    notification_id: str
    ticket_id: str | None
    recipient: str
    channel: str
    template: str
    source_message_id: str
    attempts: int
    error: str
    failed_at: datetime


class SurveySent(Event):
    schema_name: ClassVar[str] = "survey.sent"

    survey_id: str
    ticket_id: str
    traveller: Traveller
    survey_url: str
    sent_at: datetime


class FeedbackReceived(Event):
    schema_name: ClassVar[str] = "feedback.received"

    survey_id: str
    ticket_id: str
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: str | None = None
    received_at: datetime


class SupplierStatusChanged(Event):
    schema_name: ClassVar[str] = "supplier.status"

    partner: str
    kind: str = Field(description="flight_cancelled, flight_delayed, hotel_overbooked, …")
    reference: str = Field(description="Flight number, hotel id, train number…")
    service_date: date
    details: dict[str, str] = Field(default_factory=dict)
    reported_at: datetime


class BookingSegment(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: str = Field(description="flight, hotel, train, car")
    reference: str
    starts_at: datetime
    ends_at: datetime | None = None


class BookingUpserted(Event):
    schema_name: ClassVar[str] = "booking.upserted"

    booking_id: str
    traveller: Traveller
    channel: Channel
    segments: list[BookingSegment]
    updated_at: datetime


ALL_EVENTS: tuple[type[Event], ...] = (
    ContactReceived,
    TicketOpened,
    TicketAcknowledged,
    TicketRouted,
    TicketResolved,
    TicketReopened,
    NotificationDelivered,
    NotificationFailed,
    SurveySent,
    FeedbackReceived,
    SupplierStatusChanged,
    BookingUpserted,
)
