"""Each channel's own payload, normalised into one ``ContactReceived`` (InboundContact).

Pure functions: the gateway's body goes in, a validated contact comes out, or
``PayloadError`` says which field is wrong. Also here: booking references
pulled out of free text and a cheap language guess for the acknowledgement.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any
from xml.etree.ElementTree import ParseError

import opencc
from defusedxml import ElementTree
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.events import (
    Attachment,
    BookingReference,
    Channel,
    ContactReceived,
    ReferenceKind,
    Traveller,
)
from services.intake.mail_threading import thread_headers


class PayloadError(ValueError):
    """The payload is not what the channel sends; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PhonePayload(_Payload):
    """An IVR call with its speech-to-text transcript."""

    call_id: str = Field(min_length=1, max_length=128)
    caller_number: str = Field(min_length=3, max_length=32)
    transcript: str = Field(min_length=1, max_length=20_000)
    ivr_path: list[str] = Field(default_factory=list, max_length=20)
    language: str | None = None
    traveller_id: str | None = Field(default=None, description="Set when the IVR identified them.")
    started_at: datetime | None = None


class ChatVisitor(_Payload):
    id: str = Field(min_length=1, max_length=128)
    name: str | None = None
    language: str | None = None


class WebChatPayload(_Payload):
    session_id: str = Field(min_length=1, max_length=128)
    message_id: str = Field(min_length=1, max_length=128)
    visitor: ChatVisitor
    text: str = Field(min_length=1, max_length=20_000)
    device: str | None = None
    sent_at: datetime | None = None


class InAppPayload(_Payload):
    message_id: str = Field(min_length=1, max_length=128)
    user_id: str = Field(min_length=1, max_length=128)
    user_name: str | None = None
    language: str | None = None
    session_id: str | None = None
    text: str = Field(min_length=1, max_length=20_000)
    device: str | None = None
    app_version: str | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    sent_at: datetime | None = None


class _WeComText(_Payload):
    content: str = Field(min_length=1, max_length=20_000)


class WeComPayload(_Payload):
    """WeCom customer service (微信客服) message, as ``sync_msg`` returns it."""

    msgid: str = Field(min_length=1)
    open_kfid: str
    external_userid: str = Field(min_length=1)
    send_time: int
    msgtype: str
    text: _WeComText


class _DingTalkText(_Payload):
    content: str = Field(min_length=1, max_length=20_000)


class DingTalkPayload(_Payload):
    """DingTalk robot callback (机器人接收消息)."""

    msgId: str = Field(min_length=1)
    conversationId: str = Field(min_length=1)
    senderId: str = Field(min_length=1)
    senderNick: str | None = None
    senderStaffId: str | None = None
    createAt: int
    msgtype: str
    text: _DingTalkText


class WebFormPayload(_Payload):
    submission_id: str = Field(min_length=1, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    traveller_id: str | None = None
    order_number: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(default=None, max_length=500)
    message: str = Field(min_length=1, max_length=20_000)
    language: str | None = None


# ----------------------------------------------------------------- references

_REFERENCE_PATTERNS: tuple[tuple[ReferenceKind, re.Pattern[str]], ...] = (
    (
        ReferenceKind.ORDER,
        re.compile(
            r"(?:订单号?|訂單(?:編號|号)?|注文番号|order\s*(?:no\.?|number|#)?)"
            r"\s*[:：#]?\s*([A-Z0-9-]{6,24})",
            re.I,
        ),
    ),
    (
        ReferenceKind.HOTEL_CONFIRMATION,
        re.compile(
            r"(?:确认号|確認(?:號|番号)|confirmation\s*(?:no\.?|number|#)?)"
            r"\s*[:：#]?\s*([A-Z0-9-]{5,20})",
            re.I,
        ),
    ),
    (
        ReferenceKind.PNR,
        re.compile(
            r"(?:PNR|预订编号|訂位代號|予約番号|booking\s*ref(?:erence)?)"
            r"\s*[:：#]?\s*([A-Z0-9]{6})\b",
            re.I,
        ),
    ),
    (
        ReferenceKind.TRAIN,
        re.compile(r"(?<![A-Z0-9])([GDCZTK]\d{1,4})(?:次|号列车|號列車)"),
    ),
    (
        ReferenceKind.FLIGHT,
        re.compile(r"(?<![A-Z0-9])((?:[A-Z]{2}|[A-Z]\d|\d[A-Z])\s?\d{2,4})(?![0-9])"),
    ),
)
_IATA_NOT_AIRLINES = {"ID", "NO", "TO", "ON", "AT", "IN", "OR", "PM", "AM"}


def extract_references(text: str) -> list[BookingReference]:
    """Order numbers, PNRs, hotel confirmations, train and flight numbers in free text."""
    found: list[BookingReference] = []
    taken: set[str] = set()
    for kind, pattern in _REFERENCE_PATTERNS:
        for match in pattern.finditer(text):
            value = re.sub(r"\s", "", match.group(1)).upper()
            if value in taken:
                continue
            if kind is ReferenceKind.FLIGHT and value[:2] in _IATA_NOT_AIRLINES:
                continue
            taken.add(value)
            found.append(BookingReference(kind=kind, value=value))
    return found[:20]


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


def _epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _validated(model: type[_Payload], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "body"
        raise PayloadError(field, error["msg"]) from exc


def _contact(**fields: Any) -> ContactReceived:
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
        traveller=Traveller(
            id=call.traveller_id or f"phone:{call.caller_number}",
            language=call.language,
            phone=call.caller_number,
        ),
        text=call.transcript,
        language_hint=call.language,
        metadata={"caller_number": call.caller_number, "ivr_path": " > ".join(call.ivr_path)},
        received_at=call.started_at or now,
    )


def from_web_chat(body: dict[str, Any], now: datetime) -> ContactReceived:
    chat: WebChatPayload = _validated(WebChatPayload, body)
    return _contact(
        channel=Channel.WEB_CHAT,
        channel_message_id=chat.message_id,
        conversation_key=chat.session_id,
        traveller=Traveller(
            id=chat.visitor.id, name=chat.visitor.name, language=chat.visitor.language
        ),
        text=chat.text,
        language_hint=chat.visitor.language,
        metadata={k: v for k, v in {"device": chat.device}.items() if v},
        received_at=chat.sent_at or now,
    )


def from_in_app(body: dict[str, Any], now: datetime) -> ContactReceived:
    message: InAppPayload = _validated(InAppPayload, body)
    extras = {"device": message.device, "app_version": message.app_version}
    return _contact(
        channel=Channel.IN_APP,
        channel_message_id=message.message_id,
        conversation_key=message.session_id,
        traveller=Traveller(id=message.user_id, name=message.user_name, language=message.language),
        text=message.text,
        language_hint=message.language,
        attachments=message.attachments,
        metadata={k: v for k, v in extras.items() if v},
        received_at=message.sent_at or now,
    )


def from_wechat(body: str, now: datetime) -> ContactReceived:
    """WeChat official account (公众号) message XML; entities and DTDs are refused."""
    try:
        root = ElementTree.fromstring(body)
    except (ParseError, ValueError) as exc:
        raise PayloadError("body", f"not WeChat XML: {exc}") from exc

    def field(name: str, required: bool = True) -> str:
        value = (root.findtext(name) or "").strip()
        if required and not value:
            raise PayloadError(name, "missing")
        return value

    kind = field("MsgType")
    attachments: list[Attachment] = []
    if kind == "text":
        text = field("Content")
    elif kind == "image":
        text = "[image]"
        attachments.append(
            Attachment(
                name=field("MediaId"),
                content_type="image/jpeg",
                size=0,
                url=field("PicUrl", required=False) or None,
            )
        )
    elif kind == "voice":
        text = field("Recognition", required=False) or "[voice message]"
    else:
        raise PayloadError("MsgType", f"unsupported message type {kind!r}")
    openid = field("FromUserName")
    return _contact(
        channel=Channel.WECHAT,
        channel_message_id=field("MsgId"),
        conversation_key=openid,
        traveller=Traveller(id=f"wechat:{openid}", im_user_id=openid),
        text=text,
        attachments=attachments,
        metadata={"official_account": field("ToUserName")},
        received_at=_epoch(int(field("CreateTime"))),
    )


def from_wecom(body: dict[str, Any], now: datetime) -> ContactReceived:
    message: WeComPayload = _validated(WeComPayload, body)
    return _contact(
        channel=Channel.WECOM,
        channel_message_id=message.msgid,
        conversation_key=message.external_userid,
        traveller=Traveller(
            id=f"wecom:{message.external_userid}", im_user_id=message.external_userid
        ),
        text=message.text.content,
        metadata={"open_kfid": message.open_kfid},
        received_at=_epoch(message.send_time),
    )


def from_dingtalk(body: dict[str, Any], now: datetime) -> ContactReceived:
    message: DingTalkPayload = _validated(DingTalkPayload, body)
    sender = message.senderStaffId or message.senderId
    return _contact(
        channel=Channel.DINGTALK,
        channel_message_id=message.msgId,
        conversation_key=message.conversationId,
        traveller=Traveller(id=f"dingtalk:{sender}", name=message.senderNick, im_user_id=sender),
        text=message.text.content.strip(),
        received_at=_epoch(message.createAt / 1000),
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
        traveller=Traveller(
            id=who, name=form.name, language=form.language, email=form.email, phone=form.phone
        ),
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
    content = part.get_content()
    if part.get_content_type() == "text/html":
        parser = _TextOfHtml()
        parser.feed(content)
        content = "".join(parser.parts)
    return strip_quoted_reply(str(content))


def from_email(body: bytes, now: datetime) -> ContactReceived:
    """An RFC 5322 message; the thread is the first of References, else In-Reply-To."""
    message = BytesParser(policy=policy.default).parsebytes(body)
    assert isinstance(message, EmailMessage)
    message_id = (message["Message-ID"] or "").strip()
    if not message_id:
        raise PayloadError("Message-ID", "missing")
    name, address = parseaddr(str(message["From"] or ""))
    if "@" not in address:
        raise PayloadError("From", "no sender address")
    references = str(message["References"] or "").split()
    thread_root = references[0] if references else str(message["In-Reply-To"] or "").strip()
    attachments = [
        Attachment(
            name=part.get_filename() or "attachment",
            content_type=part.get_content_type(),
            size=len(part.get_payload(decode=True) or b""),
        )
        for part in message.iter_attachments()
    ][:10]
    text = _email_text(message) or str(message["Subject"] or "").strip()
    if not text:
        raise PayloadError("body", "the e-mail has no text")
    cc = [addr for _, addr in getaddresses([str(v) for v in message.get_all("Cc", [])])]
    metadata = thread_headers(str(message["In-Reply-To"] or ""), " ".join(references))
    if cc:
        metadata["cc"] = ", ".join(cc)
    return _contact(
        channel=Channel.EMAIL,
        channel_message_id=message_id,
        conversation_key=thread_root or message_id,
        traveller=Traveller(id=f"email:{address.lower()}", name=name or None, email=address),
        subject=str(message["Subject"] or "") or None,
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
        return from_wechat(body.decode("utf-8", errors="replace"), now)
    import orjson

    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("body", f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PayloadError("body", "expected a JSON object")
    return JSON_CHANNELS[channel](data, now)
