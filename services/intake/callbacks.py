"""WeChat Official Account, WeCom and DingTalk call intake at ``/v1/callbacks/{channel}/{tenant}``.

Each platform first verifies the URL (WeChat and WeCom: a GET with ``echostr``;
DingTalk: an encrypted ``check_url`` event), then posts every message signed
and, in safe mode, AES-encrypted with the tenant's keys (``channel_config``).
A message becomes a contact like any other; the answer in the same response is
the passive reply: the acknowledgement (or "added to your ticket") in the
ticket's language, encrypted the way the message came. A wrong signature, key
or timestamp answers 403 and writes nothing; an unconfigured tenant 404.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any
from xml.etree.ElementTree import ParseError

import orjson
from defusedxml import ElementTree
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import status as http
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from wechatpy.replies import TextReply

from contracts.events import Channel, ContactReceived, Traveller
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from runtime.errors import StrictJsonRoute
from runtime.store import Document
from services.intake.channel_config import ChannelConfigs
from services.intake.channels import PayloadError
from services.intake.channels.im import from_dingtalk, from_wechat
from services.intake.domain import Ticket
from services.intake.service import Intake, Outcome
from services.intake.wechat_crypto import (
    CallbackRefused,
    ChannelKeys,
    dingtalk_decrypt,
    dingtalk_encrypt,
    dingtalk_robot_check,
    fresh,
    wechat_check,
    wechat_decrypt,
    wechat_encrypt,
    wecom_decrypt,
    wecom_encrypt,
    wecom_verify_url,
)

PASSIVE_TEXT = {
    "en": (
        "We received your message: ticket {ticket}. Follow it here: {link}",
        "Added to your ticket {ticket}.",
    ),
    "zh-Hans": ("已收到您的消息，工单号 {ticket}。查看进度：{link}", "已补充到您的工单 {ticket}。"),
    "zh-Hant": ("已收到您的訊息，工單號 {ticket}。查看進度：{link}", "已補充到您的工單 {ticket}。"),
    "ja": (
        "メッセージを受け付けました（チケット {ticket}）。進捗：{link}",
        "チケット {ticket} に追加しました。",
    ),
}
"""The passive reply: the acknowledgement of a new ticket, or the follow-up's confirmation."""
SUCCESS = "success"


def passive_text(ticket: Ticket, outcome: Outcome, link: str) -> str:
    """The acknowledgement, or for a follow-up a short confirmation, in the ticket's language."""
    language = supported_language(ticket.language) or FALLBACK_LANGUAGE
    opened, added = PASSIVE_TEXT[language]
    if outcome is Outcome.FOLLOWED_UP:
        return added.format(ticket=ticket.id)
    return opened.format(ticket=ticket.id, link=link)


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

    if field("MsgType") != "text":
        raise PayloadError("MsgType", "only text messages open tickets")
    user = field("FromUserName")
    return ContactReceived(
        channel=Channel.WECOM,
        channel_message_id=field("MsgId"),
        conversation_key=user,
        traveller=Traveller(id=f"wecom:{user}", im_user_id=user),
        text=field("Content")[:20_000],
        metadata={"corp_id": field("ToUserName"), "agent_id": root.findtext("AgentID") or ""},
        received_at=now,
    )


Param = Annotated[str, Query(max_length=128)]
"""A signature, timestamp or nonce: short by protocol."""
OptionalParam = Annotated[str | None, Query(max_length=128)]
EchoStr = Annotated[str, Query(max_length=1_024)]


def router(intake: Intake, configs: ChannelConfigs) -> APIRouter:
    api = APIRouter(prefix="/v1/callbacks", tags=["channel callbacks"], route_class=StrictJsonRoute)

    async def configured(tenant: str, channel: str) -> tuple[Document, ChannelKeys]:
        doc = await configs.get(tenant, channel)
        if doc is None:
            raise HTTPException(http.HTTP_404_NOT_FOUND, "this channel is not configured")
        return doc, configs.keys(doc)

    def refused(exc: CallbackRefused) -> HTTPException:
        return HTTPException(http.HTTP_403_FORBIDDEN, f"callback refused: {exc}")

    async def take(tenant: str, contact: ContactReceived) -> tuple[Ticket, Outcome]:
        ticket, outcome = await intake.receive_contact(tenant, contact)
        if outcome is Outcome.DUPLICATE:  # the platform retried: answer as the first time
            outcome = Outcome.FOLLOWED_UP if ticket.repeat_contacts else Outcome.OPENED
        return ticket, outcome

    @api.get("/wechat/{tenant}", response_class=PlainTextResponse)
    async def wechat_url(
        tenant: str, signature: Param, timestamp: Param, nonce: Param, echostr: EchoStr
    ) -> PlainTextResponse:
        """WeChat's server-address check: the echostr back when the signature holds."""
        _, keys = await configured(tenant, "wechat")
        try:
            wechat_check(keys, signature, timestamp, nonce)
        except CallbackRefused as exc:
            raise refused(exc) from exc
        return PlainTextResponse(echostr)

    @api.post("/wechat/{tenant}", response_class=PlainTextResponse)
    async def wechat_message(
        tenant: str,
        request: Request,
        signature: Param,
        timestamp: Param,
        nonce: Param,
        encrypt_type: Annotated[str, Query(max_length=16)] = "raw",
        msg_signature: OptionalParam = None,
    ) -> Response:
        """A follower's message; plain or safe (AES) mode, as the account is set."""
        doc, keys = await configured(tenant, "wechat")
        body = await request.body()
        try:
            wechat_check(keys, signature, timestamp, nonce)
            fresh(timestamp, intake.clock.now().timestamp())
            aes = encrypt_type == "aes"
            xml = (
                wechat_decrypt(keys, body, msg_signature or "", timestamp, nonce).encode()
                if aes
                else body
            )
        except CallbackRefused as exc:
            raise refused(exc) from exc
        try:
            contact = from_wechat(xml, intake.clock.now())
        except PayloadError:
            return PlainTextResponse(SUCCESS)  # events (subscribe, menu) open no ticket
        ticket, outcome = await take(tenant, contact)
        if not doc["passive_reply"]:
            return PlainTextResponse(SUCCESS)
        text = passive_text(ticket, outcome, intake.tracking_url(tenant, ticket.id))
        reply = TextReply(
            source=contact.metadata["official_account"],
            target=contact.traveller.im_user_id,
            content=text,
        ).render()
        if aes:
            reply = wechat_encrypt(keys, reply, secrets.token_hex(8), timestamp)
        return Response(reply, media_type="application/xml")

    @api.get("/wecom/{tenant}", response_class=PlainTextResponse)
    async def wecom_url(
        tenant: str, msg_signature: Param, timestamp: Param, nonce: Param, echostr: EchoStr
    ) -> PlainTextResponse:
        """WeCom's URL check: the decrypted echostr when signature and key hold."""
        _, keys = await configured(tenant, "wecom")
        try:
            return PlainTextResponse(
                wecom_verify_url(keys, msg_signature, timestamp, nonce, echostr)
            )
        except CallbackRefused as exc:
            raise refused(exc) from exc

    @api.post("/wecom/{tenant}", response_class=PlainTextResponse)
    async def wecom_message(
        tenant: str, request: Request, msg_signature: Param, timestamp: Param, nonce: Param
    ) -> Response:
        """A member's message to the tenant's WeCom app (always encrypted)."""
        doc, keys = await configured(tenant, "wecom")
        try:
            fresh(timestamp, intake.clock.now().timestamp())
            xml = wecom_decrypt(keys, await request.body(), msg_signature, timestamp, nonce)
        except CallbackRefused as exc:
            raise refused(exc) from exc
        try:
            contact = from_wecom_xml(xml, intake.clock.now())
        except PayloadError:
            return PlainTextResponse("")  # events open no ticket
        ticket, outcome = await take(tenant, contact)
        if not doc["passive_reply"]:
            return PlainTextResponse("")
        text = passive_text(ticket, outcome, intake.tracking_url(tenant, ticket.id))
        reply = TextReply(
            source=contact.metadata["corp_id"], target=contact.traveller.im_user_id, content=text
        ).render()
        encrypted = wecom_encrypt(keys, reply, secrets.token_hex(8), timestamp)
        return Response(encrypted, media_type="application/xml")

    @api.post("/dingtalk/{tenant}")
    async def dingtalk_message(
        tenant: str,
        request: Request,
        signature: OptionalParam = None,
        msg_signature: OptionalParam = None,
        timestamp: OptionalParam = None,
        nonce: OptionalParam = None,
    ) -> JSONResponse:
        """Event subscription (AES, ``check_url`` included) or a robot's signed callback."""
        doc, keys = await configured(tenant, "dingtalk")
        body = await request.body()
        try:
            data: Any = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, "not JSON") from exc
        if not isinstance(data, dict):
            raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, "expected a JSON object")
        try:
            if "encrypt" in data:
                ts = timestamp or ""
                fresh(ts, intake.clock.now().timestamp())
                plain = dingtalk_decrypt(
                    keys, str(data["encrypt"]), signature or msg_signature or "", ts, nonce or ""
                )
                event = orjson.loads(plain) if plain.strip().startswith("{") else {}
                if isinstance(event, dict) and "msgtype" in event:
                    await take(tenant, from_dingtalk(event, intake.clock.now()))
                return JSONResponse(dingtalk_encrypt(keys, SUCCESS, secrets.token_hex(8), ts))
            dingtalk_robot_check(
                keys,
                request.headers.get("timestamp", ""),
                request.headers.get("sign", ""),
                intake.clock.now().timestamp(),
            )
        except CallbackRefused as exc:
            raise refused(exc) from exc
        except PayloadError as exc:
            raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        try:
            contact = from_dingtalk(data, intake.clock.now())
        except PayloadError as exc:
            raise HTTPException(http.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        ticket, outcome = await take(tenant, contact)
        if not doc["passive_reply"]:
            return JSONResponse({})
        text = passive_text(ticket, outcome, intake.tracking_url(tenant, ticket.id))
        return JSONResponse({"msgtype": "text", "text": {"content": text}})

    return api
