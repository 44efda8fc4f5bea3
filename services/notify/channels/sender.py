"""What every channel adapter is given (``Outgoing``), promises (``Sender``) and raises
(``SendFailed``: with an ``Outcome`` that says whether retrying can help).

Every message carries its delivery id, so a receiver can drop the duplicate a
crash between sending and recording makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts.events import Attachment, ReplyChannel
from services.notify.domain.delivery import Delivery
from services.notify.domain.outcome import Outcome


@dataclass(frozen=True)
class Outgoing:
    """What an adapter needs of a delivery."""

    delivery_id: str
    tenant_id: str
    ticket_id: str | None
    recipient: str
    role: str
    channel: ReplyChannel
    address: str
    language: str
    template: str
    subject: str
    body: str
    link: str | None
    answers: str | None = None
    attachments: tuple[Attachment, ...] = ()

    @classmethod
    def of(cls, delivery: Delivery) -> Outgoing:
        """A digest of several tickets names none of them (``Delivery.thread_ticket_id``)."""
        ticket_id = delivery.thread_ticket_id
        return cls(
            delivery_id=delivery.id,
            tenant_id=delivery.tenant_id,
            ticket_id=ticket_id,
            recipient=delivery.recipient,
            role=delivery.role,
            channel=delivery.channel,
            address=delivery.address,
            language=delivery.language,
            template=delivery.template,
            subject=delivery.subject,
            body=delivery.body,
            link=delivery.link if ticket_id == delivery.ticket_id else None,
            answers=delivery.answers,
            attachments=tuple(delivery.attachments),
        )


class SendFailed(Exception):
    def __init__(self, error: str, outcome: Outcome) -> None:
        super().__init__(error)
        self.error = error
        self.outcome = outcome


class Sender(Protocol):
    async def send(self, message: Outgoing) -> str | None:
        """Hand the message to the channel; an e-mail answers its Message-ID, which the
        delivery keeps so a bounce can name it."""
        ...
