"""Versioned integration events. ``schema_name`` is also the routing key.

Breaking changes get a new class with a higher ``schema_version``; a field is
never renamed or retyped in place.
"""

from __future__ import annotations

from contracts.envelope import Event
from contracts.events.contacts import (
    ChannelMessageReceived,
    ContactReceived,
)
from contracts.events.feedback import (
    AppealFiled,
    AppealResolved,
    FeedbackReceived,
    SurveySent,
)
from contracts.events.incidents import (
    DisruptionNotice,
    DisruptionRevised,
    IncidentLinked,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    NextStep,
    ProactiveContactRequested,
)
from contracts.events.notifications import (
    ACKNOWLEDGEMENT_TEMPLATE,
    NotificationBounced,
    NotificationDelivered,
    NotificationFailed,
    SkippedChannel,
)
from contracts.events.routing import (
    CategoryConfidence,
    TicketBotAnswered,
    TicketRouted,
)
from contracts.events.sla import (
    EscalationLevel,
    SlaBreached,
    SlaClock,
    SlaClockStopped,
    SlaVerdict,
    SlaWarning,
)
from contracts.events.suppliers import (
    BookingCancelled,
    BookingSegment,
    BookingUpserted,
    SupplierStatusChanged,
)
from contracts.events.tickets import (
    TicketAcknowledged,
    TicketFollowedUp,
    TicketMerged,
    TicketOpened,
    TicketReopened,
    TicketReplied,
    TicketResolved,
    TicketStatusChanged,
    TicketTransferred,
)
from contracts.events.values import (
    REPLY_CHANNEL_OF,
    AppealLevel,
    Attachment,
    BookingReference,
    Channel,
    Priority,
    ReferenceKind,
    ReplyChannel,
    Traveller,
)

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
    NotificationBounced,
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
    IncidentResolved,
    SlaWarning,
    SlaBreached,
    SlaClockStopped,
)

__all__ = [
    "ACKNOWLEDGEMENT_TEMPLATE",
    "ALL_EVENTS",
    "REPLY_CHANNEL_OF",
    "AppealFiled",
    "AppealLevel",
    "AppealResolved",
    "Attachment",
    "BookingCancelled",
    "BookingReference",
    "BookingSegment",
    "BookingUpserted",
    "CategoryConfidence",
    "Channel",
    "ChannelMessageReceived",
    "ContactReceived",
    "DisruptionNotice",
    "DisruptionRevised",
    "EscalationLevel",
    "Event",
    "FeedbackReceived",
    "IncidentLinked",
    "IncidentOpened",
    "IncidentResolved",
    "IncidentUpdated",
    "NextStep",
    "NotificationBounced",
    "NotificationDelivered",
    "NotificationFailed",
    "Priority",
    "ProactiveContactRequested",
    "ReferenceKind",
    "ReplyChannel",
    "SkippedChannel",
    "SlaBreached",
    "SlaClock",
    "SlaClockStopped",
    "SlaVerdict",
    "SlaWarning",
    "SupplierStatusChanged",
    "SurveySent",
    "TicketAcknowledged",
    "TicketBotAnswered",
    "TicketFollowedUp",
    "TicketMerged",
    "TicketOpened",
    "TicketReopened",
    "TicketReplied",
    "TicketResolved",
    "TicketRouted",
    "TicketStatusChanged",
    "TicketTransferred",
    "Traveller",
]
