"""What raises an open case in place, with the same queue and agent and tighter clocks: a
traveller chasing it (``follow_up``) and a more severe revision of a proactive ticket's
disruption (``revise_itinerary``). Pure; the ``RoutingCase`` methods of the same names call
these, and ``RoutingCase.raise_in_place`` does the raise. A disruption that joins a ticket
the bot answered takes it from the bot to a person instead (``bot_handover``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from contracts import events
from contracts.events import Priority
from services.routing.domain.priority import adjust_priority, highest, rank
from services.routing.domain.status import DISRUPTION_JOINED, CaseStatus

if TYPE_CHECKING:
    from services.routing.domain.case import RoutingCase
    from services.routing.domain.route import Route


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


def revise_itinerary(
    case: RoutingCase,
    notice: events.DisruptionNotice,
    now: datetime,
    takeover: Route | None = None,
) -> bool:
    """A later revision of a proactive ticket's disruption, or any revision of one that
    joined the traveller's own ticket; True if the case changed.

    More severe means what a ticket opened for that revision would get: the itinerary's
    priority (critical within 6 h of departure, else high: docs/suppliers.md) ranking
    above the case's. An open case goes up to it in place, as a repeat contact raises it;
    never down (a breach, a reopen or an earlier revision may have raised it). A flight
    back on schedule leaves nothing to act on, however near its departure, and a notice
    without a priority (the opening's own) says nothing new. A case not opened yet keeps
    it for its opening (``RoutingCase.itinerary_priority``: the notice overtook
    ``ticket.opened``); a resolved or closed one is not re-routed (a reopen raises it). A
    case the bot answered goes to a person on ``takeover`` (``bot_handover`` said so).
    """
    revised = notice.priority
    if revised is None or notice.on_schedule:
        return False
    if takeover is not None and case.status is CaseStatus.BOT_ANSWERED:
        hand_over(case, notice, takeover, now)
        return True
    if case.status is CaseStatus.PENDING:
        kept = case.itinerary_priority
        case.itinerary_priority = highest(revised, kept or revised)
        return case.itinerary_priority is not kept
    if case.status is not CaseStatus.OPEN or case.queue is None:
        return False
    if rank(revised) <= rank(case.priority):
        return False
    case.raise_in_place(revised, revision(notice), now)
    return True


def bot_handover(case: RoutingCase, notice: events.DisruptionNotice) -> Priority | None:
    """The priority at which a disruption that joined a bot-answered case hands it to a
    person, or None (docs/suppliers.md, "The traveller's own ticket").

    The bot answered the traveller's question; a flight or train of theirs disrupted since,
    told at high or critical, is a stranded traveller the bot cannot help: the case leaves
    the bot for a queue at that priority (never below the case's), as a proactive ticket for
    the disruption would have. A flight back on schedule leaves it with the bot.
    """
    revised = notice.priority
    if case.status is not CaseStatus.BOT_ANSWERED or revised is None or notice.on_schedule:
        return None
    if rank(revised) < rank(Priority.HIGH):
        return None
    return highest(revised, case.priority)


def hand_over(
    case: RoutingCase, notice: events.DisruptionNotice, route: Route, now: datetime
) -> None:
    """Open the bot-answered case on ``route`` (its queue, agent and raised priority), never
    the bot's again, with fresh clocks from now, a first response among them: the bot's
    answer was to another question, and the disruption awaits a person's."""
    case.human_only = case.human_only or DISRUPTION_JOINED
    raised = rank(route.priority) > rank(case.priority)
    why = f"priority raised to {route.priority.value}: {revision(notice)}; " if raised else ""
    case.route(route, now, now, why=why, respond=True)


def revision(notice: events.DisruptionNotice) -> str:
    """The disruption as a reason names it, e.g. "flight_cancelled (revision 2)"."""
    return f"{notice.kind} (revision {notice.revision})"
