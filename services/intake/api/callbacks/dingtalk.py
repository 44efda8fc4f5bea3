"""DingTalk (钉钉): event subscriptions (AES, ``check_url`` included) and robots' callbacks."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from contracts.events import ContactReceived
from runtime.errors import StrictJsonRoute, invalid, parse_json, strict_json
from runtime.nonces import NonceStore
from services.intake.api.callbacks.common import (
    REFUSALS,
    SUCCESS,
    OptionalParam,
    configured,
    dropped,
    once,
    refused,
    take,
    take_and_reply,
)
from services.intake.api.deps import CallbackNoncesDep, ChannelConfigsDep, IntakeDep
from services.intake.channels import PayloadError
from services.intake.channels.im import UnsupportedMessage, from_dingtalk
from services.intake.service import Intake
from services.intake.wechat_crypto import (
    CallbackRefused,
    ChannelKeys,
    dingtalk_decrypt,
    dingtalk_encrypt,
    dingtalk_robot_check,
)

router = APIRouter(
    prefix="/v1/callbacks/dingtalk",
    tags=["channel callbacks"],
    route_class=StrictJsonRoute,
    responses=REFUSALS,
)


def json_object(body: bytes) -> dict[str, Any]:
    data: Any = parse_json(body)
    if not isinstance(data, dict):
        raise invalid("expected a JSON object", ("body",))
    return data


def decrypted_json(plain: str) -> Any:
    """The event inside ``encrypt``, parsed as strictly as a body: one that is no JSON is the
    caller's error (422 at ``encrypt``), not a failure of the handler."""
    try:
        return strict_json(plain.encode())
    except json.JSONDecodeError as exc:
        raise invalid(f"the decrypted event is not JSON: {exc.msg}", ("body", "encrypt")) from exc


def readable(tenant: str, message: dict[str, Any], now: datetime) -> ContactReceived | None:
    """The robot message's contact; None for a type intake does not read (a picture, a
    file), answered as any message (a 422 makes DingTalk retry what no retry makes readable)
    and logged. A message that does not validate otherwise stays a 422."""
    try:
        return from_dingtalk(message, now)
    except UnsupportedMessage as exc:
        dropped("dingtalk", tenant, exc)
        return None


async def subscribed_event(
    intake: Intake,
    nonces: NonceStore,
    tenant: str,
    keys: ChannelKeys,
    body: bytes,
    encrypted: str,
    signed: tuple[str, str, str],
) -> JSONResponse:
    """An event of the subscription: a message becomes a contact; the answer is ``success``,
    encrypted (which is also how ``check_url`` is answered). ``signed`` is the query's
    signature, timestamp and nonce: bound to this body, as every callback's signature is."""
    signature, timestamp, nonce = signed
    now = intake.clock.now()
    plain = dingtalk_decrypt(keys, encrypted, signature, timestamp, nonce, now.timestamp())
    event = decrypted_json(plain) if plain.strip().startswith("{") else {}
    message = isinstance(event, dict) and "msgtype" in event
    try:
        contact = readable(tenant, event, now) if message else None
    except PayloadError as exc:  # a field of the decrypted event: named inside ``encrypt``
        raise PayloadError(("encrypt", *exc.loc), exc.message) from exc
    await once(nonces, now, body, "dingtalk-event", tenant, timestamp, nonce, signature)
    if contact is not None:
        await take(intake, tenant, contact)
    return JSONResponse(dingtalk_encrypt(keys, SUCCESS, secrets.token_hex(8), timestamp))


@router.post("/{tenant}")
async def dingtalk_message(
    tenant: str,
    request: Request,
    intake: IntakeDep,
    configs: ChannelConfigsDep,
    nonces: CallbackNoncesDep,
    signature: OptionalParam = None,
    msg_signature: OptionalParam = None,
    timestamp: OptionalParam = None,
    nonce: OptionalParam = None,
) -> JSONResponse:
    """Event subscription (AES, ``check_url`` included) or a robot's signed callback."""
    doc, keys = await configured(configs, tenant, "dingtalk")
    body = await request.body()
    data = json_object(body)
    try:
        if "encrypt" in data:
            signed = (signature or msg_signature or "", timestamp or "", nonce or "")
            encrypted = str(data["encrypt"])
            return await subscribed_event(intake, nonces, tenant, keys, body, encrypted, signed)
        now = intake.clock.now()
        stamp, sign = request.headers.get("timestamp", ""), request.headers.get("sign", "")
        dingtalk_robot_check(keys, stamp, sign, now.timestamp())
        contact = readable(tenant, data, now)
        await once(nonces, now, body, "dingtalk-robot", tenant, stamp, sign)
    except CallbackRefused as exc:
        raise refused(exc) from exc
    except PayloadError as exc:  # named in ``loc``, as every channel's 422
        raise invalid(exc.message, ("body", *exc.loc), "payload") from exc
    if contact is None:
        return JSONResponse({})
    text = await take_and_reply(intake, tenant, doc, contact)
    if text is None:
        return JSONResponse({})
    return JSONResponse({"msgtype": "text", "text": {"content": text}})
