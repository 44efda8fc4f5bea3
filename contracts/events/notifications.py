"""What notify reports back: a notice delivered, or given up on."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event

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
