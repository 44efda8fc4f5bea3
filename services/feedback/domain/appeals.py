"""Appeals (申诉): to an expert, then the support manager, within a window after resolution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from contracts import events
from contracts.events import AppealLevel, Traveller
from runtime.aggregate import Aggregate
from services.feedback.domain.facts import TicketFacts

MAX_APPEALS = 2


class AppealRefused(Exception):
    """The ticket cannot be appealed now; ``code`` picks the traveller's explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class AppealStatus(StrEnum):
    FILED = "filed"
    DECIDED = "decided"


def appeal_id_for(ticket_id: str, number: int) -> str:
    """Deterministic: two racing submissions of the same appeal collide on the id."""
    return f"A-{ticket_id}-{number}"


def level_for(number: int) -> AppealLevel:
    return AppealLevel.EXPERT if number == 1 else AppealLevel.SUPPORT_MANAGER


class Appeal(Aggregate):
    ticket_id: str
    traveller: Traveller
    number: int
    level: AppealLevel
    reason: str
    via: Literal["survey", "tracking"]
    appealed_resolution: int
    filed_at: datetime
    status: AppealStatus = AppealStatus.FILED
    outcome: str | None = None
    outcome_message: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @classmethod
    def file(
        cls,
        tenant_id: str,
        ticket_id: str,
        grounds: Appealable,
        *,
        reason: str,
        via: Literal["survey", "tracking"],
        now: datetime,
    ) -> Appeal:
        appeal = cls(
            id=appeal_id_for(ticket_id, grounds.number),
            tenant_id=tenant_id,
            ticket_id=ticket_id,
            traveller=grounds.traveller,
            number=grounds.number,
            level=level_for(grounds.number),
            reason=reason,
            via=via,
            appealed_resolution=grounds.resolution,
            filed_at=now,
        )
        appeal.raise_event(
            events.AppealFiled(
                appeal_id=appeal.id,
                ticket_id=appeal.ticket_id,
                traveller=appeal.traveller,
                reason=reason,
                appeal_number=appeal.number,
                level=appeal.level,
                appealed_resolution=appeal.appealed_resolution,
                via=via,
                filed_at=now,
            )
        )
        return appeal

    def decide_by_resolution(self, resolved: events.TicketResolved) -> None:
        """A resolution after the appealed one is the appeal's outcome."""
        if resolved.resolution_count > self.appealed_resolution:
            self._decide(
                resolved.resolution_code,
                resolved.message,
                resolved.resolved_by,
                resolved.resolved_at,
                resolution=resolved.resolution_count,
            )

    def decide_by_closure(self, outcome: str, by: str, at: datetime) -> None:
        """The ticket was closed or merged before anyone resolved the appeal."""
        self._decide(outcome, None, by, at)

    def _decide(
        self,
        outcome: str,
        message: str | None,
        by: str,
        at: datetime,
        resolution: int | None = None,
    ) -> None:
        if self.status is AppealStatus.DECIDED:
            return
        self.status = AppealStatus.DECIDED
        self.outcome, self.outcome_message, self.decided_by, self.decided_at = (
            outcome,
            message,
            by,
            at,
        )
        self.raise_event(
            events.AppealResolved(
                appeal_id=self.id,
                ticket_id=self.ticket_id,
                traveller=self.traveller,
                appeal_number=self.number,
                level=self.level,
                outcome=outcome,
                message=message,
                decided_by=by,
                decided_at=at,
                resolution_count=resolution,
            )
        )


class Appealable(NamedTuple):
    """What an appeal needs to know about the ticket it appeals."""

    number: int
    traveller: Traveller
    resolution: int


def next_appeal(
    facts: TicketFacts | None, appeals: Sequence[Appeal], *, now: datetime, window: timedelta
) -> Appealable:
    """What the traveller's next appeal would be, or why there can be none now."""
    latest = facts.latest_resolution if facts else None
    if facts is None or latest is None or facts.traveller is None:
        raise AppealRefused("not_resolved", "the ticket has not been resolved yet")
    if facts.merged_into or facts.closed_at:
        raise AppealRefused("closed", "the ticket is closed")
    if any(a.status is AppealStatus.FILED for a in appeals):
        raise AppealRefused("pending", "an appeal of this ticket is being reviewed")
    if len(appeals) >= MAX_APPEALS:
        raise AppealRefused("exhausted", "the support manager's decision was final")
    if facts.resolved_at is None:
        raise AppealRefused("not_resolved", "the ticket is being worked on again")
    if now - facts.resolved_at > window:
        raise AppealRefused("too_late", "the time to appeal this resolution has passed")
    return Appealable(len(appeals) + 1, facts.traveller, latest.number)
