"""What notify reports back (a notice delivered, or given up on), and what intake reads of a
mail notify sent that came back undelivered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event
from contracts.text import Instant, one_line

ACKNOWLEDGEMENT_TEMPLATE = "ticket_acknowledged"
"""The template of the notice that tells a traveller their contact became a ticket."""


class SkippedChannel(BaseModel):
    """A channel of the person's route notify could not use, and why."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channel: str
    reason: str = Field(description="no gateway configured, no address, invalid phone number…")


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
    skipped: list[SkippedChannel] = Field(
        default_factory=list,
        description="Preferred channels passed over before this one (first delivery only).",
    )
    taken_up_at: datetime | None = Field(
        default=None,
        description="When notify took the notice up: the wait in its queue ends here, the "
        "channel's own delivery time starts (absent from older senders).",
    )


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
    skipped: list[SkippedChannel] = Field(
        default_factory=list,
        description="Preferred channels passed over before this one (first delivery only).",
    )


class NotificationBounced(Event):
    """A mail notify sent came back undelivered (a bounce, RFC 3464, read by intake): notify
    marks the delivery that sent it failed, as if its channel had given up."""

    schema_name: ClassVar[str] = "notification.bounced"

    ticket_id: str = Field(description="The ticket intake recorded the bounce on.")
    message_id: Annotated[str, one_line(min_length=1, max_length=998)] = Field(
        description="The returned mail's Message-ID (our notice's): names the delivery."
    )
    delivery_id: Annotated[str, one_line(max_length=64)] | None = Field(
        default=None,
        description=(
            "The returned mail's X-TripCare-Delivery-Id, if the report returned its headers: "
            "proves which mail came back when the Message-ID is a ticket's guessable thread id."
        ),
    )
    recipient: Annotated[str, one_line(max_length=320)] | None = Field(
        default=None, description="The address that refused it (Final-Recipient), if readable."
    )
    status: Annotated[str, one_line(max_length=32)] | None = Field(
        default=None, description="The report's Status (RFC 3463: 5.1.1), if readable."
    )
    diagnostic: Annotated[str, one_line(max_length=1_000)] | None = Field(
        default=None, description="The report's Diagnostic-Code (the server's answer), if readable."
    )
    bounced_at: Instant
