"""Each channel's own payload, normalised into one ``ContactReceived`` (InboundContact).

Pure functions: the gateway's body goes in, a validated contact comes out, or
``PayloadError`` says which field is wrong; a JSON body that does not parse raises the
strict parser's ``json.JSONDecodeError``, answered as every service answers it. One
module per channel family (``phone``, ``chat``, ``im``, ``web_form``, ``email``); this one
dispatches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from contracts.events import Channel, ContactReceived
from runtime.errors import strict_json
from services.intake.channels.chat import from_in_app, from_web_chat
from services.intake.channels.checks import PayloadError, parse_email
from services.intake.channels.email import from_email
from services.intake.channels.im import from_dingtalk, from_wechat, from_wecom
from services.intake.channels.payloads import JSON_PAYLOADS
from services.intake.channels.phone import from_phone
from services.intake.channels.web_form import from_web_form

__all__ = ["JSON_CHANNELS", "JSON_PAYLOADS", "PayloadError", "json_object", "normalise"]

JsonNormaliser = Callable[[dict[str, Any], datetime], ContactReceived]
JSON_CHANNELS: dict[Channel, JsonNormaliser] = {
    Channel.PHONE: from_phone,
    Channel.WEB_CHAT: from_web_chat,
    Channel.IN_APP: from_in_app,
    Channel.WECOM: from_wecom,
    Channel.DINGTALK: from_dingtalk,
    Channel.WEB_FORM: from_web_form,
}


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON channel's payload, parsed by the strict parser."""
    data = strict_json(body)
    if not isinstance(data, dict):
        raise PayloadError("body", "expected a JSON object")
    return data


def normalise(channel: Channel, body: bytes, now: datetime) -> ContactReceived:
    """Any channel's payload as its gateway sent it, into one ``ContactReceived`` (a mail
    without its files: ``attachments.read_payload`` reads both)."""
    if channel is Channel.EMAIL:
        return from_email(parse_email(body), now)[0]
    if channel is Channel.WECHAT:
        return from_wechat(body, now)
    return JSON_CHANNELS[channel](json_object(body), now)
