"""Who may decide an appeal: while one is pending, only the staff it was escalated to.

The first appeal goes to the expert desk, the second to the support manager
(routing's ``select_queue`` and its policy). While an appeal waits, resolving or
closing the ticket (a merge closes it too) decides it: feedback takes the next
resolution, or the close, as the outcome and tells the traveller their appeal was
reviewed. So only its reviewers may do that — an expert (or above) for the first
level, a manager (or above) for the second — and never the person whose resolution
was appealed, whatever their role. Pure: the caller passes who acts and their role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from contracts.events import AppealLevel
from contracts.refusals import Reason

REVIEWER_ROLES: dict[AppealLevel, frozenset[str]] = {
    AppealLevel.EXPERT: frozenset({"expert", "manager", "admin"}),
    AppealLevel.SUPPORT_MANAGER: frozenset({"manager", "admin"}),
}
"""The staff roles (``runtime.auth.Role`` values) that may decide an appeal of each level."""

REVIEWER_NAMES = {
    AppealLevel.EXPERT: "the expert desk (an expert, a manager or an admin)",
    AppealLevel.SUPPORT_MANAGER: "the support manager (a manager or an admin)",
}


class PendingAppeal(BaseModel):
    """The appeal under review (``appeal.filed`` seen, not yet decided)."""

    appeal_id: str
    number: int
    level: AppealLevel
    appealed_by: str | None = None
    """Who made the resolution the traveller appealed (None for the bot's answer)."""
    filed_at: datetime


@dataclass(frozen=True)
class Decider:
    """The staff member resolving or closing: their id and role (agent, expert, …)."""

    id: str
    role: str


class NotTheReviewer(Exception):
    """Resolving or closing this ticket would decide an appeal the caller may not decide
    (HTTP 403); nothing is changed. ``reason`` is its code for pages."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.text)
        self.reason = reason


def decided_appeal(pending: PendingAppeal | None) -> dict[str, Any]:
    """What ``ticket.resolved`` says of the appeal it decides (none: no fields), so notify
    tells the traveller the appeal's outcome in place of a plain resolution."""
    if pending is None:
        return {}
    return {
        "appeal_id": pending.appeal_id,
        "appeal_number": pending.number,
        "appeal_level": pending.level,
    }


def check_decider(appeal: PendingAppeal | None, decider: Decider, wanted: str) -> None:
    """Raise ``NotTheReviewer`` unless ``decider`` may decide the pending ``appeal``."""
    if appeal is None:
        return
    what = f"appeal {appeal.number} of this ticket is under review"
    params = {"number": appeal.number, "level": appeal.level.value}
    if appeal.appealed_by is not None and decider.id == appeal.appealed_by:
        text = (
            f"{what}: you made the resolution it appeals, so you may not {wanted} it; "
            f"{REVIEWER_NAMES[appeal.level]} other than you decides it"
        )
        raise NotTheReviewer(Reason("appeal_own_resolution", text, params))
    if decider.role not in REVIEWER_ROLES[appeal.level]:
        text = f"{what}: only {REVIEWER_NAMES[appeal.level]} may {wanted} it"
        raise NotTheReviewer(Reason("appeal_reviewers_only", text, params))
