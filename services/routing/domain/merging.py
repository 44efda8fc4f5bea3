"""A merge's SLA: the traveller's unanswered message on the duplicate now waits on the ticket
it was merged into, so its response clock goes on there (docs/sla.md#merges). Pure."""

from __future__ import annotations

from datetime import datetime

from services.routing.domain.case import RoutingCase
from services.routing.domain.status import CaseStatus


def take_merged_wait(survivor: RoutingCase, duplicate: RoutingCase, merged_at: datetime) -> bool:
    """The duplicate's response owed at the merge becomes the survivor's next response, unless
    the survivor answers no one (resolved, or the bot's until a person takes it) or owes a
    response due sooner; True if the survivor's clocks changed.

    Read whichever of the merge's events came first: before the duplicate's close its
    clock still runs, after it the close stopped it at ``merged_at``, unanswered."""
    if survivor.status is not CaseStatus.OPEN or survivor.queue is None:
        return False
    owed = duplicate.sla.owed_at(merged_at)
    return owed is not None and survivor.sla.carry(owed, duplicate.id, merged_at)
