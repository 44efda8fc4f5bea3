"""Chat: the web chat widget and the in-app messenger (JSON, one message a payload)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contracts.events import Channel, ContactReceived
from contracts.local_time import offset_zone
from services.intake.channels.checks import PayloadError, sent_at
from services.intake.channels.payloads import (
    NO_TEXT_NOR_FILE,
    InAppPayload,
    WebChatPayload,
    attachments_only,
    contact,
    member_conversation,
    no_file_kept,
    validated,
)


def writers_zone(sent: datetime | None) -> str | None:
    """The zone of the device's clock by ``sent_at``'s offset (``offset_zone``: none for
    ``Z``, a naive time, or none sent), so the traveller reads times in it, not UTC."""
    return offset_zone(sent.utcoffset()) if sent else None


def from_web_chat(body: dict[str, Any], now: datetime) -> ContactReceived:
    """A widget's message. The conversation is the session's and the visitor's: a second
    visitor writing in a session (a shared or handed-on browser, a widget reusing its
    session) is another traveller with their own ticket and acknowledgement."""
    chat: WebChatPayload = validated(WebChatPayload, body)
    extras = {"device": chat.device, "session_id": chat.session_id}
    return contact(
        channel=Channel.WEB_CHAT,
        channel_message_id=chat.message_id,
        conversation_key=member_conversation(chat.session_id, chat.visitor.id),
        traveller={
            "id": chat.visitor.id,
            "name": chat.visitor.name,
            "language": chat.visitor.language,
            "time_zone": writers_zone(chat.sent_at),
        },
        text=chat.text,
        language_hint=chat.visitor.language,
        metadata={k: v for k, v in extras.items() if v},
        received_at=sent_at(chat.sent_at, now, "sent_at") if chat.sent_at else now,
    )


def from_in_app(body: dict[str, Any], now: datetime, files_refused: str = "") -> ContactReceived:
    """An app's message; one of only attachments (a photo of a departure board) is taken with
    the text a mail of only files gets, one of neither is refused, and so is one whose
    inline files were all refused (``files_refused`` names them: ``attachments.none_kept``)
    and that links none."""
    message: InAppPayload = validated(InAppPayload, body)
    if message.text is None and not message.attachments:
        raise PayloadError("text", NO_TEXT_NOR_FILE)
    linked = any(a.url for a in message.attachments)
    if message.text is None and files_refused and not linked:
        raise PayloadError("attachments", no_file_kept(files_refused))
    extras = {"device": message.device, "app_version": message.app_version}
    return contact(
        channel=Channel.IN_APP,
        channel_message_id=message.message_id,
        conversation_key=message.session_id,
        traveller={
            "id": message.user_id,
            "name": message.user_name,
            "language": message.language,
            "time_zone": writers_zone(message.sent_at),
        },
        text=message.text or attachments_only(message.language),
        language_hint=message.language,
        attachments=message.attachments,
        metadata={k: v for k, v in extras.items() if v},
        received_at=sent_at(message.sent_at, now, "sent_at") if message.sent_at else now,
    )
