"""SLA policies, calendars and clocks (issue #7). Pure: every instant is passed in.

The package re-exports its modules' public names: ``from services.routing.sla.domain import X``."""

from services.routing.sla.domain.calendars import (
    ALWAYS,
    MAX_CALENDAR_DAYS,
    BusinessHours,
    Calendar,
    Pause,
    deadline,
    elapsed,
    utc,
)
from services.routing.sla.domain.clocks import CUSTOMER_CLOCKS, CaseSla, ClockRun, Timer, TimerKind
from services.routing.sla.domain.policies import (
    DEFAULT_SLA,
    MAX_TARGET_S,
    PriorityTerms,
    SlaPolicy,
    Targets,
    Tier,
    calendar_for,
)

__all__ = [
    "ALWAYS",
    "CUSTOMER_CLOCKS",
    "DEFAULT_SLA",
    "MAX_CALENDAR_DAYS",
    "MAX_TARGET_S",
    "BusinessHours",
    "Calendar",
    "CaseSla",
    "ClockRun",
    "Pause",
    "PriorityTerms",
    "SlaPolicy",
    "Targets",
    "Tier",
    "Timer",
    "TimerKind",
    "calendar_for",
    "deadline",
    "elapsed",
    "utc",
]
