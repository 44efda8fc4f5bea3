"""Versioned integration events. ``schema_name`` is also the routing key.

Breaking changes get a new class with a higher ``schema_version``; a field is
never renamed or retyped in place.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event
from contracts.text import EARLIEST, LATEST, Email, Instant, LanguageTag, Line, Phone, Text


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

    id: Line = Field(
        min_length=1, max_length=260, description="Up to 260: `email:` and a 254-long address."
    )
    name: Line | None = Field(default=None, max_length=200)
    language: LanguageTag | None = Field(
        default=None, description="Preferred language tag: zh-Hans, zh-Hant, en, ja."
    )
    detected_language: LanguageTag | None = Field(
        default=None, description="Language detected in the contact; used when none is preferred."
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
    im_user_id: Line | None = Field(
        default=None, max_length=128, description="User id on WeChat, WeCom or DingTalk."
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
    value: Line = Field(min_length=1, max_length=64)


class Attachment(BaseModel):
    """Metadata of a file: one a traveller sent, or one an agent attached to a reply.

    ``id`` is set once intake stored the bytes (staff download them from the
    ticket); ``url`` is where the bytes are otherwise: the gateway's copy, or a
    signed link for the traveller to an agent's file.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Line = Field(min_length=1, max_length=255)
    content_type: str = Field(max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$")
    size: int = Field(ge=0, le=25 * 1024 * 1024)
    url: Line | None = Field(default=None, max_length=2_048)
    id: str | None = Field(default=None, max_length=64, description="Intake's stored file.")


class ContactReceived(Event):
    """One inbound contact from a channel gateway (the normalised ``InboundContact``)."""

    schema_name: ClassVar[str] = "contact.received"

    channel: Channel
    channel_message_id: Line = Field(
        min_length=1, max_length=256, description="The gateway's id; redeliveries repeat it."
    )
    traveller: Traveller
    text: Text = Field(min_length=1, max_length=20_000)
    subject: Line | None = Field(default=None, max_length=500)
    conversation_key: Line | None = Field(
        default=None,
        max_length=256,
        description="Email thread root, chat session, call id…: follow-ups share it.",
    )
    language_hint: LanguageTag | None = None
    references: list[BookingReference] = Field(default_factory=list, max_length=20)
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    category_hint: Line | None = Field(
        default=None, max_length=64, description="A category the traveller chose (web form)."
    )
    metadata: dict[
        Annotated[Line, Field(max_length=64)], Annotated[Line, Field(max_length=2_000)]
    ] = Field(
        default_factory=dict,
        max_length=20,
        description="Channel extras: device, app version, IVR path…",
    )
    received_at: Instant


class ChannelMessageReceived(Event):
    """A channel's own payload, as its gateway received it; intake normalises it.

    For gateways on the bus that do not build a ``contact.received`` themselves.
    """

    schema_name: ClassVar[str] = "channel.message"

    channel: Channel
    body: str = Field(min_length=1, max_length=1_000_000, description="JSON, XML or RFC 5322.")
    received_at: datetime


class TicketOpened(Event):
    schema_name: ClassVar[str] = "ticket.opened"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    subject: str | None = None
    text: str
    language: str | None = Field(default=None, description="Language the contact is written in.")
    priority: Priority = Priority.NORMAL
    conversation_key: str | None = None
    references: list[BookingReference] = Field(default_factory=list)
    category_hint: str | None = None
    proactive: bool = Field(default=False, description="Opened by TripCare, not the traveller.")
    opened_at: datetime
    incident_id: str | None = Field(
        default=None, description="The supplier disruption a proactive ticket was opened for."
    )


class TicketFollowedUp(Event):
    """The traveller wrote again about an open ticket (a repeat contact)."""

    schema_name: ClassVar[str] = "ticket.followed_up"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    text: str
    repeat_contacts: int = Field(ge=1, description="Follow-ups so far, this one included.")
    received_at: datetime


class TicketReplied(Event):
    """An agent (or the bot) answered the traveller; notify delivers it on their channel."""

    schema_name: ClassVar[str] = "ticket.replied"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    message: str
    author: str
    language: str | None = None
    first_response: bool
    replied_at: datetime
    attachments: list[Attachment] = Field(
        default_factory=list,
        max_length=10,
        description="Files the agent attached; ``url`` is a signed link the traveller may open.",
    )


class TicketTransferred(Event):
    """An agent moved the ticket; routing learns from it as a correction."""

    schema_name: ClassVar[str] = "ticket.transferred"

    ticket_id: str
    from_queue: str | None
    to_queue: str | None
    from_assignee: str | None
    to_assignee: str | None
    by: str
    reason: str | None = None
    transferred_at: datetime


class TicketStatusChanged(Event):
    """Any other status move (waiting, resumed, assigned, closed): SLA clocks follow it."""

    schema_name: ClassVar[str] = "ticket.status_changed"

    ticket_id: str
    from_status: str
    to_status: str
    by: str
    changed_at: datetime


class TicketMerged(Event):
    """A duplicate ticket was folded into another; it is closed and points there."""

    schema_name: ClassVar[str] = "ticket.merged"

    ticket_id: str
    into_ticket_id: str
    by: str
    merged_at: datetime


class CategoryConfidence(BaseModel):
    """One category the classifier considered, with its probability."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    category: str
    confidence: float = Field(ge=0.0, le=1.0)


class TicketAcknowledged(Event):
    schema_name: ClassVar[str] = "ticket.acknowledged"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    tracking_url: str
    acknowledged_at: datetime
    email_message_id: str | None = Field(
        default=None,
        max_length=256,
        description="The e-mail that opened the ticket: notify's acknowledgement answers it.",
    )


class TicketRouted(Event):
    schema_name: ClassVar[str] = "ticket.routed"

    ticket_id: str
    traveller: Traveller
    queue: str
    assignee: str | None = None
    category: str | None = None
    priority: Priority
    first_response_due: datetime
    resolution_due: datetime
    reason: str = Field(description="Why this queue and priority: shown on the timeline.")
    routed_at: datetime
    language: str | None = Field(default=None, description="Language detected in the contact.")
    urgency: str | None = Field(default=None, description="Urgency the classifier read.")
    sentiment: str | None = Field(default=None, description="negative, neutral or positive.")
    top_categories: list[CategoryConfidence] = Field(
        default_factory=list, description="The classifier's best categories, most likely first."
    )
    category_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``category``."
    )
    urgency_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``urgency``."
    )
    sentiment_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``sentiment``."
    )
    language_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``language``."
    )
    rule: str | None = Field(
        default=None, description="The routing rule that picked the queue (see docs/routing.md)."
    )
    bot_decision: str | None = Field(
        default=None, description="Why the knowledge-base bot did not answer this time."
    )
    proactive: bool = Field(
        default=False, description="A proactive ticket: its notice already told the traveller."
    )
    account_manager: str | None = Field(
        default=None,
        description="The tenant's account manager (routing's policy): alerted of critical tickets.",
    )
    support_manager: str | None = Field(
        default=None,
        description="The tenant's support manager (routing's policy): alerted of critical tickets.",
    )


class TicketBotAnswered(Event):
    """Routing's bot answered the contact from the knowledge base; notify delivers the answer.

    The ticket waits as ``bot_answered``; a traveller who says it did not help
    (or writes again) reopens it to a human.
    """

    schema_name: ClassVar[str] = "ticket.bot_answered"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    article_id: str
    title: str = Field(description="The article's title, in ``language``.")
    answer: str = Field(description="The answer text sent to the traveller, in ``language``.")
    language: str = Field(description="zh-Hans, zh-Hant, en or ja.")
    confidence: float = Field(ge=-1.0, le=1.0, description="Similarity of contact and article.")
    threshold: float = Field(description="The calibrated similarity the answer had to clear.")
    category: str | None = None
    top_categories: list[CategoryConfidence] = Field(default_factory=list)
    reason: str = Field(description="Why the bot answered: shown on the timeline.")
    answered_at: datetime


class TicketResolved(Event):
    schema_name: ClassVar[str] = "ticket.resolved"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    resolution_code: str
    message: str
    resolved_by: str
    opened_at: datetime
    first_response_at: datetime
    resolved_at: datetime
    resolution_count: int = Field(ge=1, description="1 for the first resolution, 2 after a reopen…")


class AppealLevel(StrEnum):
    """Who reviews an appeal: an expert the first time, the support manager the second."""

    EXPERT = "expert"
    SUPPORT_MANAGER = "support_manager"


class TicketReopened(Event):
    schema_name: ClassVar[str] = "ticket.reopened"

    ticket_id: str
    traveller: Traveller
    reason: str
    priority: Priority
    reopened_at: datetime
    appeal_id: str | None = Field(
        default=None, description="Set when an appeal reopened the ticket: route it as one."
    )
    appeal_number: int | None = Field(default=None, ge=1, le=2)
    appeal_level: AppealLevel | None = Field(
        default=None, description="expert: the expert queue; support_manager: the manager."
    )


ACKNOWLEDGEMENT_TEMPLATE = "ticket_acknowledged"
"""The template of the notice that tells a traveller their contact became a ticket."""


class SkippedChannel(BaseModel):
    """A channel of the person's route notify could not use, and why."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channel: str
    reason: str = Field(description="no gateway configured, no address, invalid phone number…")


class NotificationDelivered(Event):
    schema_name: ClassVar[str] = "notification.delivered"

    notification_id: str
    ticket_id: str | None
    recipient: str
    channel: str
    template: str
    language: str
    source_message_id: str
    delivered_at: datetime
    skipped: list[SkippedChannel] = Field(
        default_factory=list,
        description="Preferred channels passed over before this one (first delivery only).",
    )


class NotificationFailed(Event):
    schema_name: ClassVar[str] = "notification.failed"

    notification_id: str
    ticket_id: str | None
    recipient: str
    channel: str
    template: str
    source_message_id: str
    attempts: int
    error: str
    failed_at: datetime
    skipped: list[SkippedChannel] = Field(
        default_factory=list,
        description="Preferred channels passed over before this one (first delivery only).",
    )


class SurveySent(Event):
    schema_name: ClassVar[str] = "survey.sent"

    survey_id: str
    ticket_id: str
    traveller: Traveller
    survey_url: str
    sent_at: datetime


class FeedbackReceived(Event):
    schema_name: ClassVar[str] = "feedback.received"

    survey_id: str
    ticket_id: str
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: str | None = None
    received_at: datetime


class AppealFiled(Event):
    """A traveller appealed a resolution (申诉); intake reopens the ticket, routing escalates it."""

    schema_name: ClassVar[str] = "appeal.filed"

    appeal_id: str
    ticket_id: str
    traveller: Traveller
    reason: str = Field(max_length=5_000)
    appeal_number: int = Field(ge=1, le=2, description="1: first appeal, 2: the last one.")
    level: AppealLevel
    appealed_resolution: int = Field(ge=1, description="resolution_count of the appealed result.")
    via: Literal["survey", "tracking"] = Field(description="The link the traveller used.")
    filed_at: datetime


class AppealResolved(Event):
    """The appeal's outcome: the resolution (or closure) that followed it."""

    schema_name: ClassVar[str] = "appeal.resolved"

    appeal_id: str
    ticket_id: str
    traveller: Traveller
    appeal_number: int = Field(ge=1, le=2)
    level: AppealLevel
    outcome: str = Field(description="The resolution code, or closed / merged.")
    message: str | None = None
    decided_by: str
    decided_at: datetime


class SupplierStatusChanged(Event):
    schema_name: ClassVar[str] = "supplier.status"

    partner: Line = Field(max_length=64)
    kind: Line = Field(
        max_length=64, description="flight_cancelled, flight_delayed, hotel_overbooked, …"
    )
    reference: Line = Field(max_length=64, description="Flight number, hotel id, train number…")
    service_date: date = Field(ge=EARLIEST.date(), lt=LATEST.date())
    details: dict[Annotated[Line, Field(max_length=64)], Annotated[Text, Field(max_length=500)]] = (
        Field(default_factory=dict, max_length=50)
    )
    reported_at: Instant
    event_id: Line | None = Field(
        default=None, max_length=128, description="The partner's id: a re-sent event repeats it."
    )


class BookingSegment(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Line = Field(max_length=32, description="flight, hotel, train, car")
    reference: Line = Field(max_length=64)
    starts_at: Instant
    ends_at: Instant | None = None


class BookingUpserted(Event):
    schema_name: ClassVar[str] = "booking.upserted"

    booking_id: Line = Field(max_length=128)
    traveller: Traveller
    channel: Channel
    segments: list[BookingSegment] = Field(max_length=100)
    updated_at: Instant


class BookingCancelled(Event):
    """The booking system cancelled a whole booking: its segments no longer put anyone on board."""

    schema_name: ClassVar[str] = "booking.cancelled"

    booking_id: Line = Field(max_length=128)
    cancelled_at: Instant


class NextStep(StrEnum):
    """What happens after a proactive notice (docs/suppliers.md)."""

    REBOOKING = "rebooking"
    """An agent is already rebooking or rehousing the traveller."""
    OPTIONS = "options"
    """Nothing is needed; the traveller may ask for alternatives."""


class DisruptionRevised(Event):
    """Routing's record of one supplier disruption changed (all tenants; scope ``_suppliers``).

    Routing consumes it itself to find the affected travellers of every tenant.
    """

    schema_name: ClassVar[str] = "disruption.revised"

    incident_id: str
    partner: str
    kind: str = Field(description="Normalised kind: flight_cancelled, hotel_overbooked, …")
    resource: str = Field(description="flight, hotel, train or car")
    reference: str
    service_date: date
    revision: int = Field(ge=1, description="Counts material changes; travellers hear of each.")
    material: bool = Field(description="False: details changed, nobody is told again.")
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    summary: str
    reported_at: datetime


class IncidentOpened(Event):
    """One tenant's view of a disruption opened: it has travellers affected or contacts about it."""

    schema_name: ClassVar[str] = "incident.opened"

    incident_id: str
    kind: str
    reference: str
    service_date: date
    affected: int = Field(ge=0, description="This tenant's affected booking segments.")
    opened_at: datetime


class IncidentUpdated(Event):
    """A tenant's incident changed: a new revision of the disruption, or more travellers."""

    schema_name: ClassVar[str] = "incident.updated"

    incident_id: str
    kind: str
    revision: int = Field(ge=1)
    material: bool
    affected: int = Field(ge=0)
    linked_tickets: int = Field(ge=0)
    closed: bool = Field(default=False, description="The tenant closed it: no more clustering.")
    updated_at: datetime


class ProactiveContactRequested(Event):
    """Routing asks intake to open (or update) a proactive ticket for one affected traveller."""

    schema_name: ClassVar[str] = "proactive.contact"

    incident_id: str
    revision: int = Field(ge=1)
    traveller: Traveller
    channel: Channel = Field(description="The booking's channel: where the traveller is reached.")
    booking_id: str
    kind: str
    resource: str
    reference: str
    service_date: date
    departs_at: datetime = Field(description="Start of the affected segment (itinerary).")
    priority: Priority = Field(description="critical when the segment starts within 6 h.")
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    summary: str = Field(description="One line for the ticket's text and the agent.")
    requested_at: datetime


class DisruptionNotice(Event):
    """Intake tells a traveller of a disruption on their trip; notify delivers it."""

    schema_name: ClassVar[str] = "ticket.disruption_notice"

    ticket_id: str
    incident_id: str
    revision: int = Field(ge=1)
    channel: Channel
    traveller: Traveller
    kind: str
    reference: str
    service_date: date
    departs_at: datetime
    next_step: NextStep
    details: dict[str, str] = Field(default_factory=dict)
    tracking_url: str
    sent_at: datetime


class IncidentLinked(Event):
    """Routing clustered a traveller's contact into an open incident; intake marks the ticket."""

    schema_name: ClassVar[str] = "incident.linked"

    incident_id: str
    ticket_id: str
    reference: str
    linked_at: datetime


class SlaClock(StrEnum):
    """The clocks an SLA policy keeps per ticket (see docs/sla.md)."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"
    SUPPLIER = "supplier"


class EscalationLevel(StrEnum):
    """Who a breached ticket goes to next, in order."""

    SENIOR_AGENT = "senior_agent"
    EXPERT_TEAM = "expert_team"
    MANAGEMENT = "management"


class SlaWarning(Event):
    """A clock used its warning share (default 80%) of the target; notify tells the assignee."""

    schema_name: ClassVar[str] = "sla.warning"

    ticket_id: str
    clock: SlaClock
    priority: Priority
    category: str | None = None
    queue: str | None = None
    assignee: str | None = None
    deadline: datetime
    target_seconds: int = Field(ge=0, description="The target in calendar-counted seconds.")
    warned_at: datetime


class SlaBreached(Event):
    """A clock passed its deadline: the ticket was escalated and its priority raised."""

    schema_name: ClassVar[str] = "sla.breached"

    ticket_id: str
    clock: SlaClock
    priority: Priority = Field(description="The priority after the breach raised it.")
    previous_priority: Priority
    category: str | None = None
    queue: str | None = Field(default=None, description="The queue the ticket escalated to.")
    assignee: str | None = Field(default=None, description="Who holds it after escalation.")
    previous_assignee: str | None = None
    level: EscalationLevel
    account_manager: str | None = Field(
        default=None, description="The tenant's account manager, told at the management level."
    )
    support_manager: str | None = Field(
        default=None, description="The tenant's support manager, told at the management level."
    )
    manager: str | None = Field(
        default=None,
        description="The holder's manager (team lead, else the support manager): told of "
        "every breach.",
    )
    deadline: datetime
    breached_at: datetime


class SlaClockStopped(Event):
    """A clock reached its end (responded, resolved): whether the target was met.

    Feedback's SLA attainment is built from these alone.
    """

    schema_name: ClassVar[str] = "sla.stopped"

    ticket_id: str
    clock: SlaClock
    priority: Priority
    category: str | None = None
    met: bool
    target_seconds: int = Field(ge=0)
    elapsed_seconds: int = Field(
        ge=0, description="Counted by the policy's calendar, minus pauses."
    )
    started_at: datetime
    stopped_at: datetime


ALL_EVENTS: tuple[type[Event], ...] = (
    ContactReceived,
    ChannelMessageReceived,
    TicketOpened,
    TicketFollowedUp,
    TicketReplied,
    TicketTransferred,
    TicketStatusChanged,
    TicketMerged,
    TicketAcknowledged,
    TicketRouted,
    TicketBotAnswered,
    TicketResolved,
    TicketReopened,
    NotificationDelivered,
    NotificationFailed,
    SurveySent,
    FeedbackReceived,
    AppealFiled,
    AppealResolved,
    SupplierStatusChanged,
    BookingUpserted,
    BookingCancelled,
    DisruptionRevised,
    IncidentOpened,
    IncidentUpdated,
    ProactiveContactRequested,
    DisruptionNotice,
    IncidentLinked,
    SlaWarning,
    SlaBreached,
    SlaClockStopped,
)
