"""Who is who: the ids of contacts, tickets and conversations, and where a reply goes."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from contracts import events
from contracts.events import REPLY_CHANNEL_OF, Channel, Traveller
from contracts.local_time import same_clock
from contracts.phones import phone_traveller_id


def contact_id_for(
    tenant_id: str,
    channel: Channel,
    channel_message_id: str,
    traveller_id: str = "",
    conversation_key: str = "",
) -> str:
    """The identity of one channel message: a redelivery has the same one. It is one
    person's message in one conversation: gateways number messages per session or per
    user (a web chat widget's ``m1``, ``m2``), so another visitor's or another session's
    ``m1`` is another message, never a duplicate answered with someone else's ticket."""
    parts = [tenant_id, str(channel), channel_message_id]
    if traveller_id or conversation_key:
        parts += [traveller_id, conversation_key]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def contact_id_of(tenant_id: str, contact: events.ContactReceived) -> str:
    """``contact_id_for`` the contact, its traveller as intake keeps them (``same_caller``)."""
    return contact_id_for(
        tenant_id,
        contact.channel,
        contact.channel_message_id,
        contact.traveller.id,
        contact.conversation_key or "",
    )


def ticket_id_for(tenant_id: str, thread_key: str, generation: int = 1) -> str:
    """Deterministic ticket id of the ``generation``-th ticket of one conversation.

    Two deliveries racing to open the same conversation compute the same id, so
    only one insert can win: one ticket per conversation, whatever the order.
    """
    raw = f"{tenant_id}\x1f{thread_key}\x1f{generation}".encode()
    return "TC-" + base64.b32encode(hashlib.sha256(raw).digest()[:10]).decode()[:12]


def thread_key_for(contact: events.ContactReceived) -> str:
    """The conversation a contact belongs to; a contact without one is its own."""
    if contact.conversation_key:
        return f"{contact.channel.value}:{contact.conversation_key}"
    return f"{contact.channel.value}:msg:{contact.channel_message_id}"


def answered_where_they_wrote(traveller: Traveller, channel: Channel) -> Traveller:
    """Without a stated preference, the reply goes back through the channel they used."""
    if traveller.preferred_channel is not None or traveller.fallback_channels:
        return traveller
    return traveller.model_copy(update={"preferred_channel": REPLY_CHANNEL_OF[channel]})


def same_caller(contact: events.ContactReceived) -> events.ContactReceived:
    """The contact with a ``phone:`` traveller id in one form (E.164, else digits), however
    its gateway wrote the number: one caller is one traveller, on every call and channel."""
    traveller = contact.traveller
    canonical = phone_traveller_id(traveller.id)
    if canonical == traveller.id:
        return contact
    return contact.model_copy(update={"traveller": traveller.model_copy(update={"id": canonical})})


def with_own_zone(traveller: Traveller, writing: Traveller, at: datetime) -> Traveller:
    """The ticket's traveller with the time zone a later contact of theirs gave (they may
    have flown on): their own zone is the one their notices and tracking page show. A
    clock offset that reads their named zone's clock ``at`` the contact keeps the name
    (``same_clock``: Europe/Berlin knows summer time, ``Etc/GMT-1`` does not)."""
    if writing.time_zone is None or writing.time_zone == traveller.time_zone:
        return traveller
    if traveller.time_zone and same_clock(traveller.time_zone, writing.time_zone, at):
        return traveller
    return traveller.model_copy(update={"time_zone": writing.time_zone})
