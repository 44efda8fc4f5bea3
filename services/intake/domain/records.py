"""What a ticket keeps besides its status: the timeline, the contacts and the files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer

from contracts.events import Channel

MAX_TEXT_KEPT = 20_000
"""A ticket keeps a contact's text whole: this is the contract's own cap
(``ContactReceived.text``), so what an agent reads was never cut silently. Routing
classifies the first 4,000 characters (its own ``MAX_TEXT_KEPT``)."""
IsoDate = Annotated[date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]
"""A date stored as ``YYYY-MM-DD``: BSON has datetimes only."""


class TimelineEntry(BaseModel):
    """One time-stamped step: what happened, who did it, which service saw it."""

    at: datetime
    kind: str
    actor: str
    service: str
    summary: str
    details: dict[str, str] = Field(default_factory=dict)


class ContactRecord(BaseModel):
    """One message the traveller sent into this ticket."""

    contact_id: str
    channel: Channel
    channel_message_id: str
    text: str
    received_at: datetime


class TicketAttachment(BaseModel):
    """A file on the ticket: stored by intake (``id``: staff download it), only linked
    (``url``: the gateway keeps it), or refused (neither: the type or size was not accepted).
    """

    id: str | None = None
    name: str
    content_type: str
    size: int
    url: str | None = None
    source: str = Field(description="traveller or agent")
    by: str
    added_at: datetime
    contact_id: str | None = None

    @property
    def refused(self) -> bool:
        return self.id is None and self.url is None


class DisruptionState(BaseModel):
    """The disruption as its latest revision told the traveller: the tracking page says it in
    their language (the revision's ``summary`` is one English line for agents)."""

    kind: str
    reference: str
    service_date: IsoDate
    last_service_date: IsoDate | None = None
    on_schedule: bool = False
