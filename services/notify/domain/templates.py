"""The names of notify's templates (``templates/<lang>/<name>.j2``): one per kind of message."""

from __future__ import annotations

from contracts import events

ACKNOWLEDGED = events.ACKNOWLEDGEMENT_TEMPLATE
ROUTED = "ticket_routed"
REPLIED = "ticket_replied"
BOT_ANSWERED = "ticket_bot_answered"
RESOLVED = "ticket_resolved"
RESOLVED_FOR_BOOKER = "ticket_resolved_booker"
SURVEY = "survey"
ASSIGNED = "ticket_assigned"
TRANSFERRED = "ticket_transferred"
ESCALATED = "ticket_escalated"
APPEAL_FILED = "appeal_filed"
APPEAL_RESOLVED = "appeal_resolved"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
SLA_BREACHED_FOR_MANAGEMENT = "sla_breached_management"
SLA_HANDED_OVER = "sla_handed_over"
DIGEST = "digest"
DISRUPTION = "disruption_notice"
TEMPLATE_NAMES = (
    DISRUPTION,
    BOT_ANSWERED,
    ACKNOWLEDGED,
    ROUTED,
    REPLIED,
    RESOLVED,
    RESOLVED_FOR_BOOKER,
    SURVEY,
    ASSIGNED,
    TRANSFERRED,
    ESCALATED,
    DIGEST,
    APPEAL_FILED,
    APPEAL_RESOLVED,
    SLA_WARNING,
    SLA_BREACHED,
    SLA_BREACHED_FOR_MANAGEMENT,
    SLA_HANDED_OVER,
)
