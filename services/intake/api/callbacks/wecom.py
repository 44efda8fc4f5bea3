"""WeCom (企业微信) apps: the URL check and members' messages (always encrypted)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy.replies import TextReply

from runtime.errors import StrictJsonRoute
from services.intake.api.callbacks.common import (
    REFUSALS,
    EchoStr,
    Param,
    configured,
    message_of,
    refused,
    take_and_reply,
)
from services.intake.api.deps import ChannelConfigsDep, IntakeDep
from services.intake.channels.im import from_wecom_xml
from services.intake.wechat_crypto import (
    CallbackRefused,
    wecom_decrypt,
    wecom_encrypt,
    wecom_verify_url,
)

router = APIRouter(
    prefix="/v1/callbacks/wecom",
    tags=["channel callbacks"],
    route_class=StrictJsonRoute,
    responses=REFUSALS,
)


@router.get("/{tenant}", response_class=PlainTextResponse)
async def wecom_url(
    tenant: str,
    msg_signature: Param,
    timestamp: Param,
    nonce: Param,
    echostr: EchoStr,
    intake: IntakeDep,
    configs: ChannelConfigsDep,
) -> PlainTextResponse:
    """WeCom's URL check: the decrypted echostr when signature, key and timestamp hold."""
    _, keys = await configured(configs, tenant, "wecom")
    now_s = intake.clock.now().timestamp()
    try:
        return PlainTextResponse(
            wecom_verify_url(keys, msg_signature, timestamp, nonce, echostr, now_s)
        )
    except CallbackRefused as exc:
        raise refused(exc) from exc


@router.post("/{tenant}", response_class=PlainTextResponse)
async def wecom_message(
    tenant: str,
    request: Request,
    msg_signature: Param,
    timestamp: Param,
    nonce: Param,
    intake: IntakeDep,
    configs: ChannelConfigsDep,
) -> Response:
    """A member's message to the tenant's WeCom app (always encrypted)."""
    doc, keys = await configured(configs, tenant, "wecom")
    try:
        now_s = intake.clock.now().timestamp()
        xml = wecom_decrypt(keys, await request.body(), msg_signature, timestamp, nonce, now_s)
    except CallbackRefused as exc:
        raise refused(exc) from exc
    contact = message_of("wecom", tenant, lambda: from_wecom_xml(xml, intake.clock.now()))
    if contact is None:
        return PlainTextResponse("")
    text = await take_and_reply(intake, tenant, doc, contact)
    if text is None:
        return PlainTextResponse("")
    reply = TextReply(
        source=contact.metadata["corp_id"],
        target=contact.traveller.im_user_id,
        content=text,
    ).render()
    encrypted = wecom_encrypt(keys, reply, secrets.token_hex(8), timestamp)
    return Response(encrypted, media_type="application/xml")
