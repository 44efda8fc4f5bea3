"""SLA policies: per priority, the targets of each clock (as opened, reopened, appealed), the
warning share and the calendar. Pure."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from contracts.events import Priority, SlaClock
from services.routing.sla.domain.calendars import ALWAYS, Calendar

MAX_TARGET_S = 366 * 24 * 3600
"""A target of more than a year is a typo (2**63 seconds overflowed the clock arithmetic)."""


class Targets(BaseModel):
    """Seconds of counted time each clock may run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_response_s: StrictInt = Field(gt=0, le=MAX_TARGET_S)
    next_response_s: StrictInt = Field(gt=0, le=MAX_TARGET_S)
    resolution_s: StrictInt = Field(gt=0, le=MAX_TARGET_S)
    supplier_s: StrictInt = Field(
        gt=0, le=MAX_TARGET_S, description="How long a supplier may keep us waiting."
    )

    @model_validator(mode="after")
    def responses_within_resolution(self) -> Targets:
        if self.first_response_s > self.resolution_s:
            raise ValueError("first_response_s must not exceed resolution_s")
        if self.next_response_s > self.resolution_s:
            raise ValueError("next_response_s must not exceed resolution_s")
        return self

    def of(self, clock: SlaClock) -> int:
        return {
            SlaClock.FIRST_RESPONSE: self.first_response_s,
            SlaClock.NEXT_RESPONSE: self.next_response_s,
            SlaClock.RESOLUTION: self.resolution_s,
            SlaClock.SUPPLIER: self.supplier_s,
        }[clock]


class Tier(StrEnum):
    """Which targets a ticket's clocks run on: as opened, reopened, or appealed."""

    NEW = "new"
    REOPENED = "reopened"
    APPEAL = "appeal"


class PriorityTerms(BaseModel):
    """A priority's targets (with their own for reopened and appealed tickets) and calendar."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: Targets
    reopened: Targets | None = Field(default=None, description="Default: ``targets``.")
    appeal: Targets | None = Field(default=None, description="Default: ``reopened``.")
    calendar: Calendar = ALWAYS
    warn_share: StrictFloat = Field(default=0.8, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def targets_fit_the_calendar(self) -> PriorityTerms:
        """A deadline is looked for within ``MAX_CALENDAR_DAYS``: a target needs working time
        the calendar has in a year."""
        hours = self.calendar.business_hours
        if hours is None:
            return self
        longest = max(t.resolution_s for t in (self.targets, self.reopened, self.appeal) if t)
        if longest > hours.yearly_seconds():
            raise ValueError("a target exceeds a year of the calendar's business hours")
        return self

    def for_tier(self, tier: Tier) -> Targets:
        if tier is Tier.APPEAL:
            return self.appeal or self.reopened or self.targets
        if tier is Tier.REOPENED:
            return self.reopened or self.targets
        return self.targets


def _minutes(first: float, next_: float, resolution: float, supplier: float) -> Targets:
    return Targets(
        first_response_s=int(first * 60),
        next_response_s=int(next_ * 60),
        resolution_s=int(resolution * 60),
        supplier_s=int(supplier * 60),
    )


class SlaPolicy(BaseModel):
    """A tenant's terms for every priority."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    priorities: dict[Priority, PriorityTerms]

    @model_validator(mode="after")
    def every_priority(self) -> SlaPolicy:
        missing = [p.value for p in Priority if p not in self.priorities]
        if missing:
            raise ValueError(f"terms missing for {', '.join(missing)}")
        return self

    def terms(self, priority: Priority) -> PriorityTerms:
        return self.priorities[priority]


DEFAULT_SLA = SlaPolicy(
    priorities={
        Priority.CRITICAL: PriorityTerms(
            targets=_minutes(5, 10, 60, 30), reopened=_minutes(5, 10, 30, 30)
        ),
        Priority.HIGH: PriorityTerms(targets=_minutes(15, 30, 4 * 60, 2 * 60)),
        Priority.NORMAL: PriorityTerms(targets=_minutes(30, 60, 24 * 60, 8 * 60)),
        Priority.LOW: PriorityTerms(targets=_minutes(4 * 60, 8 * 60, 72 * 60, 24 * 60)),
    }
)
"""24/7 everywhere; first response and resolution as ``domain.DEFAULT_POLICY`` always had."""


def calendar_for(terms: PriorityTerms, *, on_trip: bool) -> Calendar:
    """A traveller on a trip is served 24/7 whatever the tenant's business hours."""
    return ALWAYS if on_trip else terms.calendar
