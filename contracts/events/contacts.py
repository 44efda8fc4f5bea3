"""What the channel gateways send intake: a normalised contact, or the raw payload."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.envelope import Event
from contracts.events.values import Attachment, BookingReference, Channel, Traveller
from contracts.text import Instant, LanguageTag, free_text, one_line


class ContactReceived(Event):
    """One inbound contact from a channel gateway (the normalised ``InboundContact``)."""

    schema_name: ClassVar[str] = "contact.received"

    channel: Channel
    channel_message_id: Annotated[str, one_line(min_length=1, max_length=256)] = Field(
        description="The gateway's id; redeliveries repeat it."
    )
    traveller: Traveller
    text: Annotated[str, free_text(min_length=1, max_length=20_000)]
    subject: Annotated[str, one_line(max_length=500)] | None = None
    conversation_key: Annotated[str, one_line(max_length=256)] | None = Field(
        default=None, description="Email thread root, chat session, call id…: follow-ups share it."
    )
    language_hint: LanguageTag | None = None
    references: list[BookingReference] = Field(default_factory=list, max_length=20)
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    category_hint: Annotated[str, one_line(max_length=64)] | None = Field(
        default=None, description="A category the traveller chose (web form)."
    )
    metadata: dict[
        Annotated[str, one_line(max_length=64)], Annotated[str, one_line(max_length=2_000)]
    ] = Field(
        default_factory=dict,
        max_length=20,
        description="Channel extras: device, app version, IVR path…",
    )
    received_at: Instant


class ChannelMessageReceived(Event):
    """A channel's own payload, as its gateway received it; intake normalises it.

    For gateways on the bus that do not build a ``contact.received`` themselves.
    """

    schema_name: ClassVar[str] = "channel.message"

    channel: Channel
    body: str = Field(min_length=1, max_length=1_000_000, description="JSON, XML or RFC 5322.")
    received_at: datetime
