"""Intake's request and response bodies (the attachment, ticket and contact views)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from contracts.events import Attachment, BookingReference, Channel, Priority, Traveller
from contracts.text import LanguageTag, free_text, one_line
from runtime.web import TENANT_PATTERN, schema_ref
from services.intake.attachments import MAX_FILES, MB, AttachmentPolicy, upload_body_max
from services.intake.channels import JSON_PAYLOADS
from services.intake.channels.payloads import NO_TEXT_NOR_FILE, attachments_only
from services.intake.domain import ContactRecord, PendingAppeal, TicketStatus, TimelineEntry
from services.intake.service import Outcome


class AttachmentView(BaseModel):
    """A file on the ticket; ``download_url`` (staff) is set for stored ones."""

    model_config = ConfigDict(from_attributes=True)

    id: str | None
    name: str
    content_type: str
    size: int
    source: str
    by: str
    added_at: datetime
    url: str | None = Field(default=None, description="Where a linked file is (the gateway).")
    refused: bool = Field(default=False, description="Not kept: type or size not accepted.")
    download_url: str | None = None


def attachment_views(ticket_id: str, attachments: Sequence[object]) -> list[AttachmentView]:
    views = [AttachmentView.model_validate(a) for a in attachments]
    for view in views:
        if view.id:
            view.download_url = f"/v1/tickets/{ticket_id}/attachments/{view.id}"
    return views


PAGE_MAX = 100
CHANNEL_BODY_MAX = 1_000_000
"""As on the bus (``channel.message``), for channels whose payload carries no files' bytes."""
FILES_BODY_MAX = upload_body_max(AttachmentPolicy(), 2 * MB)
"""An e-mail's or in-app message's body with its files, at the default limits (``main``'s
``upload_limits`` applies the configured ones)."""
CHANNEL_BODIES: dict[str, Any] = {
    "required": True,
    "description": "The channel's own payload: RFC 5322 for email, XML for wechat, JSON for "
    "the others (see docs/api.md for samples).",
    "content": {
        "application/json": {"schema": {"anyOf": [schema_ref(m) for m in JSON_PAYLOADS.values()]}},
        "message/rfc822": {"schema": {"type": "string", "maxLength": FILES_BODY_MAX}},
        "text/xml": {"schema": {"type": "string", "maxLength": CHANNEL_BODY_MAX}},
    },
}
AT_CAPACITY: dict[str, Any] = {
    "description": "Intake is saturated and wrote nothing: retry after `Retry-After` seconds."
}


class ContactIn(BaseModel):
    """A contact already normalised by its gateway."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "in_app",
                    "channel_message_id": "app-msg-1001",
                    "traveller": {"id": "trav-42", "name": "Li Lei", "language": "zh-Hans"},
                    "text": "我的航班CA1501被取消了，需要改签",
                }
            ]
        },
    )

    tenant_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=TENANT_PATTERN,
        description="Must match the key's tenant if given.",
    )
    channel: Channel
    channel_message_id: Annotated[str, one_line(min_length=1, max_length=256)] | None = Field(
        default=None, description="The gateway's message id; without one, Idempotency-Key is used."
    )
    traveller: Traveller
    text: Annotated[str, free_text(min_length=1, max_length=20_000)] | None = Field(
        default=None, description="Left out when the contact is only attachments."
    )
    subject: Annotated[str, one_line(max_length=500)] | None = None
    conversation_key: Annotated[str, one_line(max_length=256)] | None = None
    language_hint: LanguageTag | None = None
    references: list[BookingReference] = Field(
        default_factory=list, max_length=20, description="Found in the text when left empty."
    )
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    category_hint: Annotated[str, one_line(max_length=64)] | None = None

    @model_validator(mode="after")
    def _text_or_a_file(self) -> Self:
        if self.text is None and not self.attachments:
            raise PydanticCustomError("value_error", NO_TEXT_NOR_FILE)
        return self

    def stated_text(self) -> str:
        """The traveller's text, else what a contact of only files says (as a mail's), in
        the language the ticket will speak: the stated one first, as ``opening_language``."""
        if self.text is not None:
            return self.text
        return attachments_only(self.traveller.language, self.language_hint)


class ContactAccepted(BaseModel):
    ticket_id: str
    status: TicketStatus
    outcome: Outcome
    tracking_url: str


class ContactIgnored(BaseModel):
    """A bounce or auto-reply naming no ticket: nothing written, nobody answered (202)."""

    outcome: Literal["ignored"] = "ignored"
    reason: str


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: Annotated[str, free_text(min_length=1, max_length=20_000)] = Field(
        examples=["已为您改签至CA1503，请查收。"]
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, free_text(min_length=1, max_length=20_000)] = Field(
        examples=["Called the airline, waiting."]
    )


class TransferIn(BaseModel):
    """To one of routing's queues (``GET /v1/queues``), a registered agent, or both."""

    model_config = ConfigDict(extra="forbid")
    queue: Annotated[str, one_line(min_length=1, max_length=64)] | None = Field(
        default=None, examples=["disruption"]
    )
    assignee: Annotated[str, one_line(min_length=1, max_length=128)] | None = None
    reason: Annotated[str, free_text(max_length=500)] | None = None

    @model_validator(mode="after")
    def _a_target(self) -> Self:
        if not (self.queue or self.assignee):
            # ``code`` in ctx: the console's words for it (the API answers the text)
            raise PydanticCustomError(
                "value_error", "give a queue or an assignee", {"code": "no_transfer_target"}
            )
        return self


class WaitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: Literal["traveller", "supplier"]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution_code: Annotated[str, one_line(min_length=1, max_length=64)] = Field(
        examples=["rebooked"]
    )
    message: Annotated[str, free_text(min_length=1, max_length=20_000)] = Field(
        examples=["已为您改签至CA1503"]
    )


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, free_text(min_length=1, max_length=500)] = Field(
        examples=["that did not help"]
    )


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: Annotated[str, one_line(min_length=1, max_length=64)] = Field(
        description="The ticket that stays open."
    )


class TicketView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    tenant_id: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    traveller: Traveller
    subject: str | None
    text: str
    language: str | None
    category: str | None
    queue: str | None
    assignee: str | None
    references: list[BookingReference]
    repeat_contacts: int
    contacts: list[ContactRecord]
    opened_at: datetime
    acknowledged_at: datetime | None
    first_response_at: datetime | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    resolution_code: str | None
    merged_into: str | None
    pending_appeal: PendingAppeal | None = Field(
        default=None,
        description="The appeal under review: only its reviewers may resolve or close "
        "(docs/feedback.md#who-decides-an-appeal).",
    )
    timeline: list[TimelineEntry] = Field(
        description="The ticket's steps and, merged in, each notice notify delivered for it."
    )
    origin: str = "contact"
    incident_id: str | None = None
    attachments: list[AttachmentView] = Field(default_factory=list)
    deliveries_unavailable: bool = Field(
        default=False,
        description="Notify did not answer in time: the timeline lacks its delivered notices.",
    )

    @model_validator(mode="after")
    def _downloads(self) -> Self:
        self.attachments = attachment_views(self.id, self.attachments)
        return self


class TicketSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    subject: str | None
    text: str
    category: str | None
    queue: str | None
    assignee: str | None
    opened_at: datetime
    first_response_due: datetime | None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


REPLY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReplyIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["message"],
                    "additionalProperties": False,
                    "properties": {
                        "message": {"type": "string", "maxLength": 20_000},
                        "files": {
                            "type": "array",
                            "maxItems": MAX_FILES,
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                }
            },
        },
    }
}
