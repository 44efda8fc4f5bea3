"""Each channel's JSON payload as its gateway sends it, every field bounded; and the two
steps every normaliser ends with: validate the payload, validate the contact.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from contracts.events import Attachment, Channel, ContactReceived
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from contracts.references import extract_references
from contracts.text import LATEST, Email, LanguageTag, Phone, free_text, one_line
from services.intake.channels.checks import PayloadError

EPOCH_S_MAX = int(LATEST.timestamp())
ATTACHMENTS_ONLY = {
    "en": "[Message with attachments only]",
    "zh-Hans": "[此消息只有附件]",
    "zh-Hant": "[此訊息只有附件]",
    "ja": "[メッセージは添付のみ]",
}
"""The text of a contact of only files (a boarding pass, a photo of a departure board): a
contact to answer, not to refuse, on every channel that carries files. Few words, so a
follow-up of one never moves a ticket's language (``channels.language.MIN_WORDS``);
routing's triage reads each as ``other``."""
NO_TEXT_NOR_FILE = "a contact needs text or at least one attachment"
WITHHELD_CALLER = frozenset(
    ["anonymous", "unknown", "private", "withheld", "restricted", "unavailable"]
)
"""What IVRs send as the caller's number when the caller ID is withheld (隐藏号码)."""


def no_file_kept(refused: str) -> str:
    """The 422 of a contact of no text whose every file was refused (``refused`` names each
    and why; "" when none came): taken, it would be a ticket of nothing to read or open."""
    return f"no text, and no attachment kept: {refused}" if refused else ""


def attachments_only(*languages: str | None) -> str:
    """``ATTACHMENTS_ONLY`` in the first of ``languages`` (any tags) TripCare speaks, else
    in English."""
    spoken = (supported_language(tag) for tag in languages)
    return ATTACHMENTS_ONLY[next((s for s in spoken if s), FALLBACK_LANGUAGE)]


class _Payload(BaseModel):
    """A channel's payload: every field bounded (contracts.text); gateways' blank optional
    fields count as left out."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_optional_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        optional = {name for name, field in cls.model_fields.items() if not field.is_required()}
        return {
            key: value
            for key, value in data.items()
            if not (key in optional and isinstance(value, str) and not value.strip())
        }


class PhonePayload(_Payload):
    """An IVR call with its speech-to-text transcript."""

    call_id: Annotated[str, one_line(min_length=1, max_length=128)]
    caller_number: Phone | None = Field(
        default=None,
        description="Left out, blank or a word for a withheld caller ID (anonymous, unknown, "
        "private, withheld, restricted, unavailable): the call is then its own caller.",
    )
    transcript: Annotated[str, free_text(min_length=1, max_length=20_000)]
    ivr_path: list[Annotated[str, one_line(max_length=64)]] = Field(
        default_factory=list, max_length=20
    )
    language: LanguageTag | None = None
    traveller_id: Annotated[str, one_line(max_length=128)] | None = Field(
        default=None, description="Set when the IVR identified them."
    )
    started_at: datetime | None = None

    @field_validator("caller_number", mode="before")
    @classmethod
    def _withheld_is_no_number(cls, value: Any) -> Any:
        """An IVR's word for a withheld caller ID is no number, not a wrong one."""
        if isinstance(value, str) and value.strip().lower() in WITHHELD_CALLER:
            return None
        return value


class ChatVisitor(_Payload):
    id: Annotated[str, one_line(min_length=1, max_length=128)]
    name: Annotated[str, one_line(max_length=200)] | None = None
    language: LanguageTag | None = None


class WebChatPayload(_Payload):
    session_id: Annotated[str, one_line(min_length=1, max_length=128)]
    message_id: Annotated[str, one_line(min_length=1, max_length=128)]
    visitor: ChatVisitor
    text: Annotated[str, free_text(min_length=1, max_length=20_000)]
    device: Annotated[str, one_line(max_length=200)] | None = None
    sent_at: datetime | None = None


class InAppPayload(_Payload):
    message_id: Annotated[str, one_line(min_length=1, max_length=128)]
    user_id: Annotated[str, one_line(min_length=1, max_length=128)]
    user_name: Annotated[str, one_line(max_length=200)] | None = None
    language: LanguageTag | None = None
    session_id: Annotated[str, one_line(max_length=256)] | None = None
    text: Annotated[str, free_text(min_length=1, max_length=20_000)] | None = Field(
        default=None, description="Left out (or blank) when the message is only attachments."
    )
    device: Annotated[str, one_line(max_length=200)] | None = None
    app_version: Annotated[str, one_line(max_length=64)] | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    sent_at: datetime | None = None


class WeComText(_Payload):
    content: Annotated[str, free_text(min_length=1, max_length=20_000)]


class WeComPayload(_Payload):
    """WeCom customer service (微信客服) message, as ``sync_msg`` returns it."""

    msgid: Annotated[str, one_line(min_length=1, max_length=256)]
    open_kfid: Annotated[str, one_line(max_length=128)]
    external_userid: Annotated[str, one_line(min_length=1, max_length=128)]
    send_time: int = Field(ge=0, le=EPOCH_S_MAX, description="Epoch seconds.")
    msgtype: Annotated[str, one_line(max_length=32)]
    text: WeComText


class DingTalkText(_Payload):
    content: Annotated[str, free_text(min_length=1, max_length=20_000)]


class DingTalkPayload(_Payload):
    """DingTalk robot callback (机器人接收消息)."""

    msgId: Annotated[str, one_line(min_length=1, max_length=256)]
    conversationId: Annotated[str, one_line(min_length=1, max_length=256)]
    senderId: Annotated[str, one_line(min_length=1, max_length=128)]
    senderNick: Annotated[str, one_line(max_length=200)] | None = None
    senderStaffId: Annotated[str, one_line(max_length=128)] | None = None
    createAt: int = Field(ge=0, le=EPOCH_S_MAX * 1000, description="Epoch milliseconds.")
    msgtype: Annotated[str, one_line(max_length=32)]
    text: DingTalkText
    conversationType: Annotated[str, one_line(max_length=8)] | None = Field(
        default=None, description='"1" a one-to-one chat with the robot, "2" a group chat.'
    )
    conversationTitle: Annotated[str, one_line(max_length=200)] | None = None


class WeChatPayload(_Payload):
    """The fields of a WeChat official account (公众号) message XML."""

    ToUserName: Annotated[str, one_line(max_length=128)]
    FromUserName: Annotated[str, one_line(max_length=128)]
    CreateTime: str = Field(max_length=12, description="Epoch seconds.")
    MsgType: Annotated[str, one_line(max_length=32)]
    MsgId: Annotated[str, one_line(max_length=64)]
    Content: Annotated[str, free_text(max_length=20_000)] | None = None
    MediaId: Annotated[str, one_line(max_length=255)] | None = None
    PicUrl: Annotated[str, one_line(max_length=2_048)] | None = None
    Recognition: Annotated[str, free_text(max_length=20_000)] | None = None
    Location_X: Annotated[str, one_line(max_length=32)] | None = None
    Location_Y: Annotated[str, one_line(max_length=32)] | None = None
    Label: Annotated[str, one_line(max_length=500)] | None = None
    Title: Annotated[str, one_line(max_length=500)] | None = None
    Url: Annotated[str, one_line(max_length=2_048)] | None = None


class WebFormPayload(_Payload):
    submission_id: Annotated[str, one_line(min_length=1, max_length=128)]
    name: Annotated[str, one_line(max_length=200)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    traveller_id: Annotated[str, one_line(max_length=128)] | None = None
    order_number: Annotated[str, one_line(max_length=64)] | None = None
    category: Annotated[str, one_line(max_length=64)] | None = None
    subject: Annotated[str, one_line(max_length=500)] | None = None
    message: Annotated[str, free_text(min_length=1, max_length=20_000)]
    language: LanguageTag | None = None

    @field_validator("email", "phone", mode="before")
    @classmethod
    def _typed_without_surrounding_space(cls, value: Any) -> Any:
        """What the traveller typed, without the space a phone keyboard's autocomplete leaves
        after it: no part of the address or number, and a 422 no provider's retry fixes."""
        return value.strip() if isinstance(value, str) else value


JSON_PAYLOADS: dict[Channel, type[_Payload]] = {
    Channel.PHONE: PhonePayload,
    Channel.WEB_CHAT: WebChatPayload,
    Channel.IN_APP: InAppPayload,
    Channel.WECOM: WeComPayload,
    Channel.DINGTALK: DingTalkPayload,
    Channel.WEB_FORM: WebFormPayload,
}
"""The JSON body each channel's gateway posts (published in intake's OpenAPI document)."""


# ------------------------------------------------------------------- language


def validated(model: type[_Payload], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise PayloadError(tuple(error["loc"]) or "body", error["msg"]) from exc


def member_conversation(conversation: str, member: str) -> str:
    """One person's conversation in a place several share (a DingTalk group, a web chat
    session a second visitor writes in): the place and the person, hashed when longer than a
    conversation key may be."""
    key = f"{conversation}:{member}"
    return key if len(key) <= 256 else hashlib.sha256(key.encode()).hexdigest()


def contact(**fields: Any) -> ContactReceived:
    """The contact, validated whole (traveller and attachments included): any field the
    contract refuses is a ``PayloadError``."""
    text: str = fields["text"]
    fields.setdefault(
        "references", extract_references(" ".join([fields.get("subject") or "", text]))
    )
    try:
        return ContactReceived(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise PayloadError(tuple(error["loc"]), error["msg"]) from exc
