"""Each channel's own payload, normalised into one ``ContactReceived`` (InboundContact).

Pure functions: the gateway's body goes in, a validated contact comes out, or
``PayloadError`` says which field is wrong. Also here: booking references
pulled out of free text and a cheap language guess for the acknowledgement.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Annotated, Any
from xml.etree.ElementTree import ParseError

import opencc
from defusedxml import ElementTree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.events import (
    Attachment,
    BookingReference,
    Channel,
    ContactReceived,
    ReferenceKind,
)
from contracts.references import extract_references
from contracts.text import LATEST, Email, LanguageTag, Line, Phone, Text
from services.intake.domain.mail_threading import thread_headers
from services.intake.payload_checks import (
    PayloadError,
    all_headers,
    content,
    epoch_digits,
    filename,
    from_epoch,
    header,
    parse_email,
    sent_at,
)

__all__ = ["PayloadError", "extract_references", "guess_language", "normalise"]
EPOCH_S_MAX = int(LATEST.timestamp())


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

    call_id: Line = Field(min_length=1, max_length=128)
    caller_number: Phone
    transcript: Text = Field(min_length=1, max_length=20_000)
    ivr_path: list[Annotated[Line, Field(max_length=64)]] = Field(
        default_factory=list, max_length=20
    )
    language: LanguageTag | None = None
    traveller_id: Line | None = Field(
        default=None, max_length=128, description="Set when the IVR identified them."
    )
    started_at: datetime | None = None


class ChatVisitor(_Payload):
    id: Line = Field(min_length=1, max_length=128)
    name: Line | None = Field(default=None, max_length=200)
    language: LanguageTag | None = None


class WebChatPayload(_Payload):
    session_id: Line = Field(min_length=1, max_length=128)
    message_id: Line = Field(min_length=1, max_length=128)
    visitor: ChatVisitor
    text: Text = Field(min_length=1, max_length=20_000)
    device: Line | None = Field(default=None, max_length=200)
    sent_at: datetime | None = None


class InAppPayload(_Payload):
    message_id: Line = Field(min_length=1, max_length=128)
    user_id: Line = Field(min_length=1, max_length=128)
    user_name: Line | None = Field(default=None, max_length=200)
    language: LanguageTag | None = None
    session_id: Line | None = Field(default=None, max_length=256)
    text: Text = Field(min_length=1, max_length=20_000)
    device: Line | None = Field(default=None, max_length=200)
    app_version: Line | None = Field(default=None, max_length=64)
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    sent_at: datetime | None = None


class WeComText(_Payload):
    content: Text = Field(min_length=1, max_length=20_000)


class WeComPayload(_Payload):
    """WeCom customer service (微信客服) message, as ``sync_msg`` returns it."""

    msgid: Line = Field(min_length=1, max_length=256)
    open_kfid: Line = Field(max_length=128)
    external_userid: Line = Field(min_length=1, max_length=128)
    send_time: int = Field(ge=0, le=EPOCH_S_MAX, description="Epoch seconds.")
    msgtype: Line = Field(max_length=32)
    text: WeComText


class DingTalkText(_Payload):
    content: Text = Field(min_length=1, max_length=20_000)


class DingTalkPayload(_Payload):
    """DingTalk robot callback (机器人接收消息)."""

    msgId: Line = Field(min_length=1, max_length=256)
    conversationId: Line = Field(min_length=1, max_length=256)
    senderId: Line = Field(min_length=1, max_length=128)
    senderNick: Line | None = Field(default=None, max_length=200)
    senderStaffId: Line | None = Field(default=None, max_length=128)
    createAt: int = Field(ge=0, le=EPOCH_S_MAX * 1000, description="Epoch milliseconds.")
    msgtype: Line = Field(max_length=32)
    text: DingTalkText


class WeChatPayload(_Payload):
    """The fields of a WeChat official account (公众号) message XML."""

    ToUserName: Line = Field(max_length=128)
    FromUserName: Line = Field(max_length=128)
    CreateTime: str = Field(max_length=12, description="Epoch seconds.")
    MsgType: Line = Field(max_length=32)
    MsgId: Line = Field(max_length=64)
    Content: Text | None = Field(default=None, max_length=20_000)
    MediaId: Line | None = Field(default=None, max_length=255)
    PicUrl: Line | None = Field(default=None, max_length=2_048)
    Recognition: Text | None = Field(default=None, max_length=20_000)


class WebFormPayload(_Payload):
    submission_id: Line = Field(min_length=1, max_length=128)
    name: Line | None = Field(default=None, max_length=200)
    email: Email | None = None
    phone: Phone | None = None
    traveller_id: Line | None = Field(default=None, max_length=128)
    order_number: Line | None = Field(default=None, max_length=64)
    category: Line | None = Field(default=None, max_length=64)
    subject: Line | None = Field(default=None, max_length=500)
    message: Text = Field(min_length=1, max_length=20_000)
    language: LanguageTag | None = None


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

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_to_simplified = opencc.OpenCC("t2s")


def guess_language(text: str) -> str:
    """zh-Hans, zh-Hant, ja or en, from the script alone: enough to acknowledge.

    Routing's classifier decides properly; this only picks the acknowledgement's
    language when the gateway gave no hint. Kana means Japanese; Han characters
    that Simplified conversion changes mean Traditional.
    """
    if _KANA.search(text):
        return "ja"
    han = "".join(_HAN.findall(text))
    if han and len(han) * 2 >= len(_LATIN.findall(text)) / 3:
        return "zh-Hant" if _to_simplified.convert(han) != han else "zh-Hans"
    return "en"


# --------------------------------------------------------------- normalisers


def _validated(model: type[_Payload], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        raise PayloadError(field, error["msg"]) from exc


def _contact(**fields: Any) -> ContactReceived:
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
        raise PayloadError(".".join(str(p) for p in error["loc"]), error["msg"]) from exc


def from_phone(body: dict[str, Any], now: datetime) -> ContactReceived:
    call: PhonePayload = _validated(PhonePayload, body)
    return _contact(
        channel=Channel.PHONE,
        channel_message_id=call.call_id,
        conversation_key=call.call_id,
        traveller={
            "id": call.traveller_id or f"phone:{call.caller_number}",
            "language": call.language,
            "phone": call.caller_number,
        },
        text=call.transcript,
        language_hint=call.language,
        metadata={"caller_number": call.caller_number, "ivr_path": " > ".join(call.ivr_path)},
        received_at=sent_at(call.started_at, now, "started_at") if call.started_at else now,
    )


def from_web_chat(body: dict[str, Any], now: datetime) -> ContactReceived:
    chat: WebChatPayload = _validated(WebChatPayload, body)
    return _contact(
        channel=Channel.WEB_CHAT,
        channel_message_id=chat.message_id,
        conversation_key=chat.session_id,
        traveller={
            "id": chat.visitor.id,
            "name": chat.visitor.name,
            "language": chat.visitor.language,
        },
        text=chat.text,
        language_hint=chat.visitor.language,
        metadata={k: v for k, v in {"device": chat.device}.items() if v},
        received_at=sent_at(chat.sent_at, now, "sent_at") if chat.sent_at else now,
    )


def from_in_app(body: dict[str, Any], now: datetime) -> ContactReceived:
    message: InAppPayload = _validated(InAppPayload, body)
    extras = {"device": message.device, "app_version": message.app_version}
    return _contact(
        channel=Channel.IN_APP,
        channel_message_id=message.message_id,
        conversation_key=message.session_id,
        traveller={"id": message.user_id, "name": message.user_name, "language": message.language},
        text=message.text,
        language_hint=message.language,
        attachments=message.attachments,
        metadata={k: v for k, v in extras.items() if v},
        received_at=sent_at(message.sent_at, now, "sent_at") if message.sent_at else now,
    )


_WECHAT_TEXT = {"text": "", "image": "[image]", "voice": "[voice message]"}
"""The message types taken, with the text of one that carries none."""


def from_wechat(body: bytes, now: datetime) -> ContactReceived:
    """WeChat official account (公众号) message XML; DTDs and entities are refused."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ParseError, ValueError) as exc:
        raise PayloadError("body", f"not WeChat XML: {exc}") from exc
    fields = {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}
    kind = fields.get("MsgType")
    if not kind:
        raise PayloadError("MsgType", "missing")
    if kind not in _WECHAT_TEXT:
        raise PayloadError("MsgType", f"unsupported message type {kind!r}")
    needed = {"text": "Content", "image": "MediaId"}.get(kind)
    if needed and not fields.get(needed):
        raise PayloadError(needed, "missing")
    message: WeChatPayload = _validated(WeChatPayload, fields)
    attachments: list[dict[str, Any]] = []
    if kind == "image":
        attachments.append(
            {
                "name": message.MediaId,
                "content_type": "image/jpeg",
                "size": 0,
                "url": message.PicUrl,
            }
        )
    text = {"text": message.Content, "voice": message.Recognition}.get(kind) or _WECHAT_TEXT[kind]
    openid = message.FromUserName
    return _contact(
        channel=Channel.WECHAT,
        channel_message_id=message.MsgId,
        conversation_key=openid,
        traveller={"id": f"wechat:{openid}", "im_user_id": openid},
        text=text,
        attachments=attachments,
        metadata={"official_account": message.ToUserName},
        received_at=from_epoch(epoch_digits(message.CreateTime, "CreateTime"), now, "CreateTime"),
    )


def from_wecom(body: dict[str, Any], now: datetime) -> ContactReceived:
    message: WeComPayload = _validated(WeComPayload, body)
    return _contact(
        channel=Channel.WECOM,
        channel_message_id=message.msgid,
        conversation_key=message.external_userid,
        traveller={
            "id": f"wecom:{message.external_userid}",
            "im_user_id": message.external_userid,
        },
        text=message.text.content,
        metadata={"open_kfid": message.open_kfid},
        received_at=from_epoch(message.send_time, now, "send_time"),
    )


def from_dingtalk(body: dict[str, Any], now: datetime) -> ContactReceived:
    message: DingTalkPayload = _validated(DingTalkPayload, body)
    sender = message.senderStaffId or message.senderId
    return _contact(
        channel=Channel.DINGTALK,
        channel_message_id=message.msgId,
        conversation_key=message.conversationId,
        traveller={"id": f"dingtalk:{sender}", "name": message.senderNick, "im_user_id": sender},
        text=message.text.content.strip(),
        received_at=from_epoch(message.createAt, now, "createAt", per_second=1000),
    )


def from_web_form(body: dict[str, Any], now: datetime) -> ContactReceived:
    form: WebFormPayload = _validated(WebFormPayload, body)
    references = extract_references(" ".join([form.subject or "", form.message]))
    if form.order_number and form.order_number.upper() not in {r.value for r in references}:
        references.insert(
            0, BookingReference(kind=ReferenceKind.ORDER, value=form.order_number.upper())
        )
    who = form.traveller_id or (f"email:{form.email.lower()}" if form.email else None)
    if who is None:
        raise PayloadError("email", "a web form needs an e-mail address or a traveller id")
    return _contact(
        channel=Channel.WEB_FORM,
        channel_message_id=form.submission_id,
        traveller={
            "id": who,
            "name": form.name,
            "language": form.language,
            "email": form.email,
            "phone": form.phone,
        },
        subject=form.subject,
        text=form.message,
        language_hint=form.language,
        references=references,
        category_hint=form.category,
        metadata={k: v for k, v in {"phone": form.phone or ""}.items() if v},
        received_at=now,
    )


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "div"):
            self.parts.append("\n")


_QUOTE_HEADER = re.compile(
    r"^(On .{4,200} wrote:|在.{2,100}写道[:：]?|於.{2,100}寫道[:：]?"
    r"|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*原始邮件\s*-{2,}"
    r"|From: .+|发件人[:：].+|寄件者[:：].+)\s*$",
    re.M,
)


def strip_quoted_reply(text: str) -> str:
    """Keep what the traveller wrote, not the thread they replied to."""
    cut = _QUOTE_HEADER.search(text)
    if cut:
        text = text[: cut.start()]
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def _email_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = content(part)
    if part.get_content_type() == "text/html":
        parser = _TextOfHtml()
        parser.feed(text)
        text = "".join(parser.parts)
    return strip_quoted_reply(text)


def from_email(body: bytes, now: datetime) -> ContactReceived:
    """An RFC 5322 message; the thread is the first of References, else In-Reply-To."""
    message = parse_email(body)
    message_id = header(message, "Message-ID")
    if not message_id:
        raise PayloadError("Message-ID", "missing")
    name, address = parseaddr(header(message, "From"))
    if "@" not in address:
        raise PayloadError("From", "no sender address")
    references = header(message, "References").split()
    thread_root = references[0] if references else header(message, "In-Reply-To")
    attachments = [
        {
            "name": filename(part) or "attachment",
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in message.iter_attachments()
        if isinstance(part, EmailMessage)
    ][:10]
    subject = header(message, "Subject")
    text = _email_text(message) or subject
    if not text:
        raise PayloadError("body", "the e-mail has no text")
    cc = [addr for _, addr in getaddresses(all_headers(message, "Cc"))][:20]
    metadata = thread_headers(header(message, "In-Reply-To"), " ".join(references))
    if cc:
        metadata["cc"] = ", ".join(cc)
    return _contact(
        channel=Channel.EMAIL,
        channel_message_id=message_id,
        conversation_key=thread_root or message_id,
        traveller={"id": f"email:{address.lower()}", "name": name or None, "email": address},
        subject=subject or None,
        text=text,
        attachments=attachments,
        metadata=metadata,
        received_at=now,
    )


JsonNormaliser = Callable[[dict[str, Any], datetime], ContactReceived]
JSON_CHANNELS: dict[Channel, JsonNormaliser] = {
    Channel.PHONE: from_phone,
    Channel.WEB_CHAT: from_web_chat,
    Channel.IN_APP: from_in_app,
    Channel.WECOM: from_wecom,
    Channel.DINGTALK: from_dingtalk,
    Channel.WEB_FORM: from_web_form,
}


def normalise(channel: Channel, body: bytes, now: datetime) -> ContactReceived:
    """Any channel's payload as its gateway sent it, into one ``ContactReceived``."""
    if channel is Channel.EMAIL:
        return from_email(body, now)
    if channel is Channel.WECHAT:
        return from_wechat(body, now)
    import orjson

    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("body", f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadError("body", "expected a JSON object")
    return JSON_CHANNELS[channel](data, now)
