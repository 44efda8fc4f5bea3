"""Exchange, queue and routing-key names: defined here once, used by every service.

A ``namespace`` prefixes every name so that tests (or several environments on
one broker) stay isolated; production uses the default ``tripcare``.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import events
from contracts.envelope import Event

# Which events each service consumes. One durable quorum queue per (service, event).
SUBSCRIPTIONS: dict[str, tuple[type[Event], ...]] = {
    "intake": (
        events.ContactReceived,
        events.ChannelMessageReceived,
        events.TicketRouted,
        events.TicketBotAnswered,
        events.NotificationFailed,
        events.SurveySent,
        events.SurveyWithdrawn,
        events.FeedbackReceived,
        events.AppealFiled,
        events.AppealResolved,
        events.SlaWarning,
        events.SlaBreached,
        events.ProactiveContactRequested,
        events.IncidentLinked,
        events.IncidentResolved,
    ),
    "routing": (
        events.TicketOpened,
        events.TicketFollowedUp,
        events.TicketReplied,  # first and next response stop SLA clocks (docs/sla.md)
        events.TicketTransferred,
        events.TicketStatusChanged,
        events.TicketMerged,  # the duplicate's unanswered message waits on the survivor
        events.TicketResolved,
        events.TicketReopened,
        events.DisruptionNotice,  # a later revision's priority raises a proactive ticket
        events.SupplierStatusChanged,
        events.BookingUpserted,
        events.BookingCancelled,
        events.DisruptionRevised,  # its own: the fan-out to every tenant's travellers
    ),
    "notify": (
        events.TicketAcknowledged,
        events.TicketRouted,
        events.TicketBotAnswered,
        events.TicketReplied,
        events.TicketTransferred,  # an agent named by a transfer is told it is theirs
        events.TicketResolved,
        events.SurveySent,
        events.SurveyWithdrawn,  # marks the survey's inbox item withdrawn; sends nothing
        events.DisruptionNotice,
        events.AppealFiled,
        events.AppealResolved,
        events.SlaWarning,
        events.SlaBreached,
        events.NotificationFailed,  # its own: a failed channel hands over to the next one
        events.NotificationBounced,  # a mail it sent came back: that delivery failed
    ),
    "feedback": (
        events.TicketOpened,
        events.TicketFollowedUp,
        events.TicketReplied,
        events.TicketRouted,
        events.TicketBotAnswered,
        events.TicketTransferred,
        events.TicketStatusChanged,
        events.TicketMerged,
        events.TicketResolved,
        events.TicketReopened,
        events.FeedbackReceived,  # its own, like the two below: the facts are built from events
        events.AppealFiled,
        events.AppealResolved,
        events.SlaBreached,
        events.SlaClockStopped,
    ),
}

# Events published for whoever listens, which no service is owed: with no listener bound
# they are dropped, not parked in the unrouted queue. Delivery receipts are notify's log
# (``GET /v1/notifications``), read by the ticket view; nobody must consume them (#20).
# A tenant's incident opened or changed is an integration event for outside subscribers
# (a customer's travel-risk desk, a status page); routing's incidents API is the record.
ANNOUNCED: tuple[type[Event], ...] = (
    events.NotificationDelivered,
    events.IncidentOpened,
    events.IncidentUpdated,
)

# Which events each service publishes (documentation and the AsyncAPI export).
PUBLICATIONS: dict[str, tuple[type[Event], ...]] = {
    "gateways": (events.ContactReceived, events.ChannelMessageReceived),
    "intake": (
        events.TicketOpened,
        events.TicketAcknowledged,
        events.TicketFollowedUp,
        events.TicketReplied,
        events.TicketTransferred,
        events.TicketStatusChanged,
        events.TicketMerged,
        events.TicketResolved,
        events.TicketReopened,
        events.DisruptionNotice,
        events.NotificationBounced,
    ),
    "routing": (
        events.TicketRouted,
        events.TicketBotAnswered,
        events.SlaWarning,
        events.SlaBreached,
        events.SlaClockStopped,
        events.DisruptionRevised,
        events.IncidentOpened,
        events.IncidentUpdated,
        events.ProactiveContactRequested,
        events.IncidentLinked,
        events.IncidentResolved,
    ),
    "notify": (events.NotificationDelivered, events.NotificationFailed),
    "feedback": (
        events.SurveySent,
        events.SurveyWithdrawn,
        events.FeedbackReceived,
        events.AppealFiled,
        events.AppealResolved,
    ),
    "suppliers": (events.SupplierStatusChanged,),
    "booking-system": (events.BookingUpserted, events.BookingCancelled),
}


@dataclass(frozen=True)
class Topology:
    """Names derived from one namespace."""

    namespace: str = "tripcare"

    @property
    def events_exchange(self) -> str:
        """Topic exchange carrying every domain event, keyed ``<aggregate>.<event>``."""
        return f"{self.namespace}.events"

    @property
    def dead_letter_exchange(self) -> str:
        """Direct exchange receiving rejected and over-delivered messages."""
        return f"{self.namespace}.dlx"

    @property
    def unrouted_exchange(self) -> str:
        """Alternate exchange of the events exchange: nothing is dropped silently."""
        return f"{self.namespace}.unrouted"

    @property
    def unrouted_queue(self) -> str:
        return f"{self.namespace}.unrouted"

    @property
    def announced_exchange(self) -> str:
        """Fanout bound to the events exchange for each announced event: it routes them, so
        the alternate exchange does not park them, and it holds no queue of its own."""
        return f"{self.namespace}.announced"

    @property
    def admission_exchange(self) -> str:
        """Fanout of notify's acknowledgement-lag reports to every intake replica: signals,
        not events (no envelope, no tenant, not kept; one lost is replaced 0.5 s later)."""
        return f"{self.namespace}.admission"

    def queue(self, service: str, event: type[Event]) -> str:
        return f"{self.namespace}.{service}.{event.schema_name}"

    def dead_letter_queue(self, service: str, event: type[Event]) -> str:
        return f"{self.queue(service, event)}.dlq"
