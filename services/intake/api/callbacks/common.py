"""What the platforms' callbacks share: the tenant's keys, the refusal, taking the contact
once, and the passive reply's words."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import HTTPException, Query
from fastapi import status as http

from contracts.events import ContactReceived
from contracts.languages import FALLBACK_LANGUAGE, supported_language
from runtime.nonces import NonceStore, Replayed
from runtime.store import Document
from services.intake.channel_config import ChannelConfigs
from services.intake.channels import PayloadError
from services.intake.channels.im import NotAMessage
from services.intake.domain import Ticket
from services.intake.service import Intake, Outcome
from services.intake.wechat_crypto import CallbackRefused, ChannelKeys

PASSIVE_TEXT = {
    "en": (
        "We received your message: ticket {ticket}. Follow it here: {link}",
        "Added to your ticket {ticket}.",
    ),
    "zh-Hans": ("已收到您的消息，工单号 {ticket}。查看进度：{link}", "已补充到您的工单 {ticket}。"),
    "zh-Hant": ("已收到您的訊息，工單號 {ticket}。查看進度：{link}", "已補充到您的工單 {ticket}。"),
    "ja": (
        "メッセージを受け付けました（チケット {ticket}）。進捗：{link}",
        "チケット {ticket}に追加しました。",
    ),
}
"""The passive reply: the acknowledgement of a new ticket, or the follow-up's confirmation."""
log = logging.getLogger(__name__)
SUCCESS = "success"
Param = Annotated[str, Query(max_length=128)]
"""A signature, timestamp or nonce: short by protocol."""
OptionalParam = Annotated[str | None, Query(max_length=128)]
EchoStr = Annotated[str, Query(max_length=1_024)]
REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The platform's signature or timestamp does not hold: nothing taken."},
    404: {"description": "The tenant has not configured this channel."},
}
"""Every callback's refusals (``configured``, ``refused``), declared on its router."""


def passive_text(ticket: Ticket, outcome: Outcome, link: str) -> str:
    """The acknowledgement, or for a follow-up a short confirmation, in the ticket's language."""
    language = supported_language(ticket.language) or FALLBACK_LANGUAGE
    opened, added = PASSIVE_TEXT[language]
    if outcome is Outcome.FOLLOWED_UP:
        return added.format(ticket=ticket.id)
    return opened.format(ticket=ticket.id, link=link)


def reply_text(
    intake: Intake, tenant: str, ticket: Ticket, outcome: Outcome, contact: ContactReceived
) -> str | None:
    """The passive reply, or None for closing words on an answered ticket: they are only
    noted for staff, and "added to your ticket" would answer a thank-you."""
    if thanked(ticket, contact):
        return None
    return passive_text(ticket, outcome, intake.tracking_url(tenant, ticket.id))


def thanked(ticket: Ticket, contact: ContactReceived) -> bool:
    """Whether the ticket took ``contact`` as closing words (a retry of it included)."""
    return any(
        entry.kind == "closing_words"
        and entry.details.get("channel_message_id") == contact.channel_message_id
        for entry in ticket.timeline
    )


async def configured(
    configs: ChannelConfigs, tenant: str, channel: str
) -> tuple[Document, ChannelKeys]:
    doc = await configs.get(tenant, channel)
    if doc is None:
        raise HTTPException(http.HTTP_404_NOT_FOUND, "this channel is not configured")
    return doc, configs.keys(doc)


def refused(exc: CallbackRefused) -> HTTPException:
    return HTTPException(http.HTTP_403_FORBIDDEN, f"callback refused: {exc}")


async def once(
    nonces: NonceStore, now: datetime, body: bytes, channel: str, tenant: str, *signed: str
) -> None:
    """Bind a signature that does not cover the whole body (WeChat's ``signature``, a DingTalk
    robot's ``sign``, a DingTalk event's, which covers only ``encrypt``) to the first body it
    came with, while its timestamp is fresh: the same body again is the platform's retry
    (answered as the first time), another is refused."""
    try:
        await nonces.use(NonceStore.key(channel, tenant, *signed), now, body)
    except Replayed as exc:
        raise CallbackRefused("this signature came with another body") from exc


def message_of(
    channel: str, tenant: str, parse: Callable[[], ContactReceived]
) -> ContactReceived | None:
    """The callback's contact, or None when there is none to take. The platform is answered
    as for any message either way (else it retries, then warns the account), but a message
    that is dropped (a blank text, an unsupported type, XML that does not read) is logged
    with what it was and why, never its content, so operators see it; an event is not."""
    try:
        return parse()
    except NotAMessage:
        return None
    except PayloadError as exc:
        dropped(channel, tenant, exc)
        return None


def dropped(channel: str, tenant: str, why: PayloadError) -> None:
    """Leave a trace of a message answered but not taken: what it was and why, never its
    content (the field and reason of ``why``)."""
    log.warning("%s callback of tenant %s: message dropped (%s)", channel, tenant, why)


async def take(intake: Intake, tenant: str, contact: ContactReceived) -> tuple[Ticket, Outcome]:
    ticket, outcome = await intake.receive_contact(tenant, contact)
    if outcome is Outcome.DUPLICATE:  # the platform retried: answer as the first time
        outcome = Outcome.OPENED if ticket.opened_by(contact) else Outcome.FOLLOWED_UP
    return ticket, outcome


async def take_and_reply(
    intake: Intake, tenant: str, doc: Document, contact: ContactReceived
) -> str | None:
    """Take ``contact``; the passive reply's words (``reply_text``), or None when the tenant's
    channel sends none (``passive_reply`` off) or the contact is answered by none."""
    ticket, outcome = await take(intake, tenant, contact)
    text = reply_text(intake, tenant, ticket, outcome, contact)
    return text if doc["passive_reply"] else None
