"""SLA clocks: a warning, a breach and its escalation, a clock's end (docs/sla.md)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field

from contracts.envelope import Event
from contracts.events.values import Priority
from contracts.text import TimeZoneName


class SlaClock(StrEnum):
    """The clocks an SLA policy keeps per ticket (see docs/sla.md)."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"
    SUPPLIER = "supplier"


class SlaVerdict(StrEnum):
    """How a clock ended (docs/sla.md#verdicts)."""

    MET = "met"
    MISSED = "missed"
    VOID = "void"
    """Stopped by a close or merge before anyone answered: neither met nor missed, left out
    of attainment and counted apart."""


class EscalationLevel(StrEnum):
    """Who a breached ticket goes to next, in order."""

    SENIOR_AGENT = "senior_agent"
    EXPERT_TEAM = "expert_team"
    MANAGEMENT = "management"


class CarriedClock(BaseModel):
    """Where a carried clock's wait began: a merged duplicate's response clock, which routing
    carried to the ticket the duplicate joined (docs/sla.md#merges). One wait, two tickets'
    events: this tells a reader they are the same wait."""

    ticket_id: str = Field(description="The merged duplicate the wait began on.")
    clock: SlaClock = Field(description="The duplicate's clock that was carried.")
    missed: bool = Field(
        description="It had already missed (breached) when the merge stopped it: the "
        "duplicate's ``sla.stopped`` at the merge says ``missed`` and is the wait's verdict."
    )


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
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="The tenant's business time zone (the IANA zone of its SLA calendar for "
        "this priority): notices show times in it to whoever has no zone of their own. None "
        "for a calendar without one (24/7) and on older events: UTC.",
    )


class SlaBreached(Event):
    """A clock passed its deadline: the ticket was escalated and its priority raised."""

    schema_name: ClassVar[str] = "sla.breached"

    ticket_id: str
    clock: SlaClock
    priority: Priority = Field(description="The priority after the breach raised it.")
    previous_priority: Priority
    clock_priority: Priority | None = Field(
        default=None,
        description="The priority the clock ran under, whose target it missed: an earlier "
        "breach raised the ticket's but not its running clocks', so it may be below "
        "``previous_priority``. None on older events: ``previous_priority``.",
    )
    category: str | None = None
    queue: str | None = Field(default=None, description="The queue the ticket escalated to.")
    assignee: str | None = Field(default=None, description="Who holds it after escalation.")
    previous_assignee: str | None = None
    level: EscalationLevel
    account_manager: str | None = Field(
        default=None,
        description="The tenant's account manager, told at the management level and when the "
        "breach made the ticket critical.",
    )
    support_manager: str | None = Field(
        default=None,
        description="The tenant's support manager, told at the management level and when the "
        "breach made the ticket critical.",
    )
    manager: str | None = Field(
        default=None,
        description="The holder's manager (team lead, else the support manager): told of "
        "every breach.",
    )
    deadline: datetime
    breached_at: datetime
    carried_from: CarriedClock | None = Field(
        default=None,
        description="Set on a clock carried from a merged duplicate: the same wait as that "
        "duplicate's clock, not a second one. None for a clock that began on this ticket, and "
        "on older events.",
    )
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="The tenant's business time zone (the IANA zone of its SLA calendar for "
        "this priority): notices show times in it to whoever has no zone of their own. None "
        "for a calendar without one (24/7) and on older events: UTC.",
    )


class SlaClockStopped(Event):
    """A clock reached its end (responded, resolved, closed): whether the target was met.

    Feedback's SLA attainment is built from these alone.
    """

    schema_name: ClassVar[str] = "sla.stopped"

    ticket_id: str
    clock: SlaClock
    priority: Priority = Field(
        description="The priority the clock ran under (whose targets it had), not the "
        "ticket's when it stopped: a breach raises the ticket's but not its running clocks'."
    )
    category: str | None = None
    met: bool = Field(description="False for a void clock (see ``verdict``).")
    verdict: SlaVerdict | None = Field(
        default=None,
        description="met, missed, or void: stopped by a close or merge before anyone answered, "
        "neither met nor missed. Absent (older events): met or missed as ``met`` says.",
    )
    target_seconds: int = Field(ge=0)
    elapsed_seconds: int = Field(
        ge=0, description="Counted by the policy's calendar, minus pauses."
    )
    started_at: datetime
    stopped_at: datetime
    carried_from: CarriedClock | None = Field(
        default=None,
        description="Set on a clock carried from a merged duplicate: the same wait as that "
        "duplicate's clock, not a second one. None for a clock that began on this ticket, and "
        "on older events.",
    )
