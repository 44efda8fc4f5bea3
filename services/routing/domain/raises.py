"""What raises an open case in place, with the same queue and agent and tighter clocks: a
traveller chasing it (``follow_up``) and a more severe revision of a proactive ticket's
disruption (``revise_itinerary``). Pure; the ``RoutingCase`` methods of the same names call
these, and ``RoutingCase.raise_in_place`` does the raise."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from contracts import events
from services.routing.domain.priority import adjust_priority, highest, rank
from services.routing.domain.status import CaseStatus

if TYPE_CHECKING:
    from services.routing.domain.case import RoutingCase


def follow_up(
    case: RoutingCase, followed: events.TicketFollowedUp, vip: str | None, now: datetime
) -> None:
    """Count the repeat contact; an open case chased often enough goes up a level.

    The traveller as intake knows them after their latest follow-up (its count is the
    newest seen) is who routing's next notices go to: their language may have changed.
    """
    if case.traveller is None or followed.repeat_contacts >= case.repeat_contacts:
        case.traveller = followed.traveller
    case.repeat_contacts = max(case.repeat_contacts, followed.repeat_contacts)
    if case.status is not CaseStatus.OPEN or case.queue is None:
        return
    case.sla.traveller_wrote(case.priority, followed.received_at)
    adjusted, reasons = adjust_priority(case.base_priority, case.signals(vip))
    if rank(adjusted) <= rank(case.priority):
        return
    case.raise_in_place(adjusted, ", ".join(reasons), now)


def revise_itinerary(case: RoutingCase, notice: events.DisruptionNotice, now: datetime) -> bool:
    """A later revision of a proactive ticket's disruption, or any revision of one that
    joined the traveller's own ticket; True if the case changed.

    More severe means what a ticket opened for that revision would get: the itinerary's
    priority (critical within 6 h of departure, else high: docs/suppliers.md) ranking
    above the case's. An open case goes up to it in place, as a repeat contact raises it;
    never down (a breach, a reopen or an earlier revision may have raised it). A flight
    back on schedule leaves nothing to act on, however near its departure, and a notice
    without a priority (the opening's own) says nothing new. A case not opened yet keeps
    it for its opening (``RoutingCase.itinerary_priority``: the notice overtook
    ``ticket.opened``); a resolved or closed one is not re-routed (a reopen raises it).
    """
    revised = notice.priority
    if revised is None or notice.on_schedule:
        return False
    if case.status is CaseStatus.PENDING:
        kept = case.itinerary_priority
        case.itinerary_priority = highest(revised, kept or revised)
        return case.itinerary_priority is not kept
    if case.status is not CaseStatus.OPEN or case.queue is None:
        return False
    if rank(revised) <= rank(case.priority):
        return False
    case.raise_in_place(revised, f"{notice.kind} (revision {notice.revision})", now)
    return True
