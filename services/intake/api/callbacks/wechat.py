"""WeChat Official Account (公众号): the server-address check and followers' messages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.replies import TextReply

from runtime.errors import StrictJsonRoute
from services.intake.api.callbacks.common import (
    REFUSALS,
    SUCCESS,
    EchoStr,
    OptionalParam,
    Param,
    configured,
    message_of,
    once,
    refused,
    take_and_reply,
)
from services.intake.api.deps import CallbackNoncesDep, ChannelConfigsDep, IntakeDep
from services.intake.channels.im import from_wechat
from services.intake.wechat_crypto import (
    CallbackRefused,
    wechat_check,
    wechat_decrypt,
    wechat_encrypt,
)

router = APIRouter(
    prefix="/v1/callbacks/wechat",
    tags=["channel callbacks"],
    route_class=StrictJsonRoute,
    responses=REFUSALS,
)


@router.get("/{tenant}", response_class=PlainTextResponse)
async def wechat_url(
    tenant: str,
    signature: Param,
    timestamp: Param,
    nonce: Param,
    echostr: EchoStr,
    intake: IntakeDep,
    configs: ChannelConfigsDep,
) -> PlainTextResponse:
    """WeChat's server-address check: the echostr back when signature and timestamp hold."""
    _, keys = await configured(configs, tenant, "wechat")
    try:
        wechat_check(keys, signature, timestamp, nonce, intake.clock.now().timestamp())
    except CallbackRefused as exc:
        raise refused(exc) from exc
    return PlainTextResponse(echostr)


@router.post("/{tenant}", response_class=PlainTextResponse)
async def wechat_message(
    tenant: str,
    request: Request,
    signature: Param,
    timestamp: Param,
    nonce: Param,
    intake: IntakeDep,
    configs: ChannelConfigsDep,
    nonces: CallbackNoncesDep,
    encrypt_type: Annotated[str, Query(max_length=16)] = "raw",
    msg_signature: OptionalParam = None,
) -> Response:
    """A follower's message; plain or safe (AES) mode, as the account is set. The query's
    signature is bound to the body in either mode: ``encrypt_type`` is not signed."""
    doc, keys = await configured(configs, tenant, "wechat")
    body = await request.body()
    now = intake.clock.now()
    try:
        wechat_check(keys, signature, timestamp, nonce, now.timestamp())
        await once(nonces, now, body, "wechat", tenant, timestamp, nonce, signature)
        aes = encrypt_type == "aes"
        xml = (
            wechat_decrypt(keys, body, msg_signature or "", timestamp, nonce).encode()
            if aes
            else body
        )
    except CallbackRefused as exc:
        raise refused(exc) from exc
    contact = message_of("wechat", tenant, lambda: from_wechat(xml, intake.clock.now()))
    if contact is None:
        return PlainTextResponse(SUCCESS)
    text = await take_and_reply(intake, tenant, doc, contact)
    if text is None:
        return PlainTextResponse(SUCCESS)
    reply = TextReply(
        source=contact.metadata["official_account"],
        target=contact.traveller.im_user_id,
        content=text,
    ).render()
    if aes:
        reply = wechat_encrypt(keys, reply, secrets.token_hex(8), timestamp)
    return Response(reply, media_type="application/xml")
