"""Value types the events share: channels, priorities, the traveller and what they sent."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from contracts.text import (
    Email,
    LanguageTag,
    Phone,
    TimeZoneName,
    fold_width,
    one_line,
    web_url,
)


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB_CHAT = "web_chat"
    IN_APP = "in_app"
    WECHAT = "wechat"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    WEB_FORM = "web_form"


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ReplyChannel(StrEnum):
    """Where notify can reach a person: the in-app inbox, e-mail, or a gateway's webhook."""

    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"
    WECHAT = "wechat"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    WEB_CHAT = "web_chat"


REPLY_CHANNEL_OF: dict[Channel, ReplyChannel] = {
    Channel.PHONE: ReplyChannel.SMS,
    Channel.EMAIL: ReplyChannel.EMAIL,
    Channel.WEB_CHAT: ReplyChannel.WEB_CHAT,
    Channel.IN_APP: ReplyChannel.IN_APP,
    Channel.WECHAT: ReplyChannel.WECHAT,
    Channel.WECOM: ReplyChannel.WECOM,
    Channel.DINGTALK: ReplyChannel.DINGTALK,
    Channel.WEB_FORM: ReplyChannel.EMAIL,
}
"""Where a reply to a contact goes by default: back through the gateway it came from."""


class Traveller(BaseModel):
    """Who contacted us, and how they want to hear back."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Annotated[str, one_line(min_length=1, max_length=260)] = Field(
        description="Up to 260: `email:` and a 254-long address."
    )
    name: Annotated[str, one_line(max_length=200)] | None = None
    language: LanguageTag | None = Field(
        default=None,
        description="Preferred language, a BCP 47 tag: served when it maps onto zh-Hans, "
        "zh-Hant, en or ja (ja-JP → ja, zh-TW → zh-Hant); another (fr) is kept as the "
        "preference, and the ticket speaks what the contact is written in.",
    )
    detected_language: LanguageTag | None = Field(
        default=None, description="Language detected in the contact; used when none is preferred."
    )
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="Their own IANA time zone (Asia/Tokyo): notices show times in it, else in "
        "the tenant's business time zone.",
    )
    email: Email | None = None
    phone: Phone | None = Field(
        default=None, description="For SMS: E.164, or a national number read in ``region``."
    )
    region: str | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        pattern=r"^[A-Za-z]{2}$",
        description="ISO 3166 region (CN, HK, JP…) of a phone number without a country code.",
    )
    im_user_id: Annotated[str, one_line(max_length=128)] | None = Field(
        default=None, description="User id on WeChat, WeCom or DingTalk."
    )
    preferred_channel: ReplyChannel | None = Field(
        default=None, description="Where to tell them first; default: the contact's channel."
    )
    fallback_channels: tuple[ReplyChannel, ...] = Field(
        default=(),
        max_length=6,
        description="Tried in order when the preferred channel fails; the inbox comes last.",
    )
    booker: Traveller | None = Field(
        default=None, description="Who booked the trip for them (a travel arranger), if not them."
    )


class ReferenceKind(StrEnum):
    FLIGHT = "flight"
    PNR = "pnr"
    ORDER = "order"
    HOTEL_CONFIRMATION = "hotel_confirmation"
    TRAIN = "train"


class BookingReference(BaseModel):
    """A booking reference found in a contact: the key to the traveller's trip."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: ReferenceKind
    value: Annotated[str, one_line(min_length=1, max_length=64), AfterValidator(fold_width)] = (
        Field(description="Kept in ASCII width: ``ＣＡ１５０１`` is ``CA1501``.")
    )


class Attachment(BaseModel):
    """Metadata of a file: one a traveller sent, or one an agent attached to a reply.

    ``id`` is set once intake stored the bytes (staff download them from the
    ticket); ``url`` is where the bytes are otherwise: the gateway's copy, or a
    signed link for the traveller to an agent's file.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, one_line(min_length=1, max_length=255)]
    content_type: str = Field(max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$")
    size: StrictInt = Field(ge=0, le=25 * 1024 * 1024)
    url: Annotated[str, web_url(max_length=2_048)] | None = Field(
        default=None, description="An absolute http:// or https:// URL."
    )
    id: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Intake's stored file: letters, digits, - and _ (it is a path segment).",
    )


class AppealLevel(StrEnum):
    """Who reviews an appeal: an expert the first time, the support manager the second."""

    EXPERT = "expert"
    SUPPORT_MANAGER = "support_manager"
