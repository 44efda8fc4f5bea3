"""A person's route: the channels to try in order, with their address on each, ending in the
in-app inbox; the wanted channels that cannot be used are recorded as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from contracts.events import REPLY_CHANNEL_OF, Channel, ReplyChannel, SkippedChannel, Traveller
from contracts.phones import e164

IN_APP = ReplyChannel.IN_APP

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def valid_email(address: str) -> bool:
    return bool(_EMAIL.match(address))


def address_for(person: Traveller, channel: ReplyChannel, region: str | None = None) -> str | None:
    """The person's address on a channel, or None if we cannot reach them there. A phone
    number is E.164, read in ``region`` when it has no country code (``contracts.phones.e164``)."""
    match channel:
        case ReplyChannel.EMAIL:
            return person.email
        case ReplyChannel.SMS:
            return e164(person.phone, person.region or region)
        case ReplyChannel.WECHAT | ReplyChannel.WECOM | ReplyChannel.DINGTALK:
            return person.im_user_id
    return person.id  # the inbox and web chat know people by their id


class Hop(BaseModel):
    """One step of a fallback chain: a channel and the person's address on it."""

    model_config = ConfigDict(frozen=True)

    channel: ReplyChannel
    address: str


@dataclass(frozen=True)
class RoutePlan:
    hops: list[Hop]
    skipped: list[SkippedChannel]
    """Wanted channels that could not be used, and why: kept in the delivery history."""


def plan_route(
    person: Traveller,
    origin: Channel | None,
    available: frozenset[ReplyChannel],
    region: str | None = None,
) -> RoutePlan:
    """The fallback chain: their preference and fallbacks (else the contact's channel), then
    the in-app inbox; only channels that are configured and where we have an address. The
    others are recorded as skipped, never dropped without a trace.
    """
    if person.preferred_channel or person.fallback_channels:
        wanted = [c for c in (person.preferred_channel, *person.fallback_channels) if c]
    else:
        wanted = [REPLY_CHANNEL_OF[origin]] if origin else []
    hops: list[Hop] = []
    skipped: list[SkippedChannel] = []
    for channel in (*wanted, IN_APP):
        if any(hop.channel is channel for hop in hops):
            continue
        address = address_for(person, channel, region)
        why = _unusable(person, channel, available, address)
        if why is None and address:
            hops.append(Hop(channel=channel, address=address))
        elif why is not None and all(s.channel != channel for s in skipped):
            skipped.append(SkippedChannel(channel=channel, reason=why))
    return RoutePlan(hops, skipped)


def _unusable(
    person: Traveller,
    channel: ReplyChannel,
    available: frozenset[ReplyChannel],
    address: str | None,
) -> str | None:
    if channel is not IN_APP and channel not in available:
        what = "SMS provider" if channel is ReplyChannel.SMS else f"{channel.value} gateway"
        return f"no {what} configured"
    if address:
        return None
    if channel is ReplyChannel.SMS and person.phone:
        return "invalid phone number"
    return "no address"
