"""Chinese IM: WeChat official accounts (XML), WeCom customer service and DingTalk robots."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree

from contracts.events import Channel, ContactReceived
from services.intake.channels.checks import PayloadError, epoch_digits, from_epoch, xml_text
from services.intake.channels.payloads import (
    DingTalkPayload,
    WeChatPayload,
    WeComPayload,
    contact,
    member_conversation,
    validated,
)

_WECHAT_TEXT = {
    "text": "",
    "image": "[image]",
    "voice": "[voice message]",
    "video": "[video]",
    "shortvideo": "[video]",
    "location": "[location]",
    "link": "[link]",
    "file": "[file]",
}
"""The message types taken, with the text of one that carries none: a stranded traveller's
location or the video of a broken suitcase is a message to answer, not an event to drop."""
EVENT = "event"
"""``MsgType`` of a platform event (subscribe, menu click, entering a chat): nobody wrote."""


class NotAMessage(PayloadError):
    """A platform event, not a person's message: no ticket, nothing dropped, nothing to log."""

    def __init__(self) -> None:
        super().__init__("MsgType", "an event, not a message")


class UnsupportedMessage(PayloadError):
    """A person's message of a type intake does not read (a DingTalk picture or file): no
    retry makes it readable, so the platform is answered as for any message and the drop is
    logged, its type and never its content (``callbacks.common.dropped``)."""

    def __init__(self, field: str, kind: str) -> None:
        super().__init__(field, f"unsupported message type {kind[:32]!r}")


def _wechat_text(message: WeChatPayload) -> str:
    """What the traveller sent, in words: theirs, the voice's transcript, or what it is."""
    kind = message.MsgType
    if kind == "text":
        return message.Content or ""
    if kind == "voice" and message.Recognition:
        return message.Recognition
    if kind == "location" and message.Location_X and message.Location_Y:
        where = f"{message.Location_X}, {message.Location_Y}"
        return f"[location] {message.Label} ({where})" if message.Label else f"[location] {where}"
    details = [d for d in (message.Title, message.Url) if d] if kind in ("link", "file") else []
    return " ".join([_WECHAT_TEXT[kind], *details])


def from_wechat(body: bytes, now: datetime) -> ContactReceived:
    """WeChat official account (公众号) message XML; DTDs and entities are refused."""
    try:
        root = ElementTree.fromstring(xml_text(body), forbid_dtd=True)
    except (ParseError, ValueError) as exc:
        raise PayloadError("body", f"not WeChat XML: {exc}") from exc
    fields = {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}
    kind = fields.get("MsgType")
    if not kind:
        raise PayloadError("MsgType", "missing")
    if kind == EVENT:
        raise NotAMessage()
    if kind not in _WECHAT_TEXT:
        raise PayloadError("MsgType", f"unsupported message type {kind[:32]!r}")
    needed = {"text": "Content", "image": "MediaId"}.get(kind)
    if needed and not fields.get(needed):
        raise PayloadError(needed, "missing")
    message: WeChatPayload = validated(WeChatPayload, fields)
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
    text = _wechat_text(message)
    openid = message.FromUserName
    return contact(
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
    message: WeComPayload = validated(WeComPayload, body)
    return contact(
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


DINGTALK_GROUP = "2"
"""``conversationType`` of a group chat: everyone in it shares its ``conversationId``."""


def from_dingtalk(body: dict[str, Any], now: datetime) -> ContactReceived:
    """A robot's message. In a group chat each member's messages are their own conversation:
    two travellers asking the robot in one group are two tickets, each acknowledged. Only
    text is read: any other ``msgtype`` is an ``UnsupportedMessage``."""
    kind = body.get("msgtype")
    if isinstance(kind, str) and kind != "text":
        raise UnsupportedMessage("msgtype", kind)
    message: DingTalkPayload = validated(DingTalkPayload, body)
    sender = message.senderStaffId or message.senderId
    conversation = message.conversationId
    metadata: dict[str, str] = {}
    if message.conversationType == DINGTALK_GROUP:
        conversation = member_conversation(conversation, sender)
        metadata["group"] = message.conversationTitle or message.conversationId
    return contact(
        channel=Channel.DINGTALK,
        channel_message_id=message.msgId,
        conversation_key=conversation,
        traveller={"id": f"dingtalk:{sender}", "name": message.senderNick, "im_user_id": sender},
        text=message.text.content.strip(),
        metadata=metadata,
        received_at=from_epoch(message.createAt, now, "createAt", per_second=1000),
    )


def from_wecom_xml(xml: str, now: datetime) -> ContactReceived:
    """A WeCom app (自建应用) text message, as its callback carries it."""
    try:
        root = ElementTree.fromstring(xml)
    except (ParseError, ValueError) as exc:
        raise PayloadError("body", f"not WeCom XML: {exc}") from exc

    def field(name: str) -> str:
        value = (root.findtext(name) or "").strip()
        if not value:
            raise PayloadError(name, "missing")
        return value

    kind = field("MsgType")
    if kind == EVENT:
        raise NotAMessage()
    if kind != "text":
        raise PayloadError("MsgType", f"unsupported message type {kind[:32]!r}")
    user = field("FromUserName")
    return contact(  # validated whole: what the contract refuses is dropped, not a 500
        channel=Channel.WECOM,
        channel_message_id=field("MsgId"),
        conversation_key=user,
        traveller={"id": f"wecom:{user}", "im_user_id": user},
        text=field("Content")[:20_000],
        metadata={"corp_id": field("ToUserName"), "agent_id": root.findtext("AgentID") or ""},
        received_at=now,
    )
