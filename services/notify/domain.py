"""What to tell whom, and the record of each delivery. Pure: no I/O, time passed in.

The walking skeleton delivers everything to the traveller's in-app inbox; the
channel adapters, fallback chains and retries come with issue #5.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from contracts import events
from contracts.envelope import Event
from contracts.events import Traveller
from runtime.aggregate import Aggregate

LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")
FALLBACK_LANGUAGE = "en"
IN_APP = "in_app"


@dataclass(frozen=True)
class Notice:
    """A message to send: to whom, which template, with what values."""

    ticket_id: str | None
    recipient: Traveller
    template: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        preferred = self.recipient.language
        return preferred if preferred in LANGUAGES else FALLBACK_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def notice_for(event: Event) -> Notice | None:
    """The traveller-facing notice an event calls for, if any."""
    match event:
        case events.TicketAcknowledged():
            return Notice(
                event.ticket_id,
                event.traveller,
                "ticket_acknowledged",
                {
                    "ticket_id": event.ticket_id,
                    "name": event.traveller.name or "",
                    "link": event.tracking_url,
                },
            )
        case events.TicketRouted():
            return Notice(
                event.ticket_id,
                event.traveller,
                "ticket_routed",
                {
                    "ticket_id": event.ticket_id,
                    "queue": event.queue,
                    "due": _when(event.first_response_due),
                },
            )
        case events.TicketResolved():
            return Notice(
                event.ticket_id,
                event.traveller,
                "ticket_resolved",
                {"ticket_id": event.ticket_id, "message": event.message},
            )
        case events.SurveySent():
            return Notice(
                event.ticket_id,
                event.traveller,
                "survey",
                {"ticket_id": event.ticket_id, "link": event.survey_url},
            )
    return None


def delivery_id(source_message_id: str, recipient: str, channel: str) -> str:
    """One delivery per (event, recipient, channel): a redelivered event maps to the same id."""
    key = f"{source_message_id}\x1f{recipient}\x1f{channel}".encode()
    return "N-" + hashlib.sha256(key).hexdigest()[:20]


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(Aggregate):
    ticket_id: str | None
    recipient: str
    channel: str
    template: str
    language: str
    subject: str
    body: str
    link: str | None = None
    status: DeliveryStatus
    attempts: int = 1
    source_message_id: str
    created_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None

    @classmethod
    def to_inbox(
        cls,
        tenant_id: str,
        notice: Notice,
        rendered: Rendered,
        *,
        source_message_id: str,
        now: datetime,
    ) -> Delivery:
        """An in-app message is delivered by being stored: the inbox is this collection."""
        delivery = cls(
            id=delivery_id(source_message_id, notice.recipient.id, IN_APP),
            tenant_id=tenant_id,
            ticket_id=notice.ticket_id,
            recipient=notice.recipient.id,
            channel=IN_APP,
            template=notice.template,
            language=rendered.language,
            subject=rendered.subject,
            body=rendered.body,
            link=notice.values.get("link"),
            status=DeliveryStatus.DELIVERED,
            source_message_id=source_message_id,
            created_at=now,
            delivered_at=now,
        )
        delivery.raise_event(
            events.NotificationDelivered(
                notification_id=delivery.id,
                ticket_id=delivery.ticket_id,
                recipient=delivery.recipient,
                channel=delivery.channel,
                template=delivery.template,
                language=delivery.language,
                source_message_id=source_message_id,
                delivered_at=now,
            )
        )
        return delivery

    def mark_read(self, now: datetime) -> None:
        if self.read_at is None:
            self.read_at = now
