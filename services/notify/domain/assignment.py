"""Whether a notice telling a person "this ticket is yours" is still true when it goes out.

A ticket assigned to agent A and moved to B (or to a queue, or resolved) before A's push
went out — it waited for a retry, a rate-limit slot or a digest — told A a ticket that was
no longer theirs. Notify learns who holds each ticket from the events it already takes:
every ``ticket.routed`` names the case's assignee (none: it waits in a queue), a
``ticket.transferred`` the agent it went to (none: to a queue), and ``ticket.resolved``
ends the assignment. The newest of these by its own time stands (the bus keeps no order),
and a notice of an assignment is sent only while it names its recipient. So is an SLA
warning or breach notice to the agent holding the ticket: an old holder pressed about a
ticket gone to someone else was told of work no longer theirs. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts import events
from contracts.envelope import Event
from runtime.clock import epoch_ms
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.route import IN_APP
from services.notify.domain.templates import ASSIGNED, SLA_BREACHED, SLA_WARNING, TRANSFERRED

ASSIGNMENT_TEMPLATES = frozenset({ASSIGNED, TRANSFERRED})
"""Notices whose whole message is "this ticket is now yours"."""
HOLDER_TEMPLATES = ASSIGNMENT_TEMPLATES | {SLA_WARNING, SLA_BREACHED}
"""Notices that may hold only while their recipient holds the ticket."""


@dataclass(frozen=True)
class Holder:
    """Who holds a ticket (``assignee`` None: nobody — a queue, or resolved) since ``at``."""

    ticket_id: str
    assignee: str | None
    at: datetime


def holder_after(event: Event) -> Holder | None:
    """Who holds the ticket after ``event``; None for an event that does not say."""
    match event:
        case events.TicketRouted():
            return Holder(event.ticket_id, event.assignee, event.routed_at)
        case events.TicketTransferred():
            return Holder(event.ticket_id, event.to_assignee, event.transferred_at)
        case events.TicketResolved():
            return Holder(event.ticket_id, None, event.resolved_at)
    return None


def _held(delivery: Delivery) -> bool:
    """A notice true only while its recipient holds the ticket: an assignment, or an SLA
    notice to the agent holding it (``held_at``)."""
    return delivery.template in ASSIGNMENT_TEMPLATES or delivery.held_at is not None


def _alone(delivery: Delivery) -> bool:
    """A notice true only while its recipient holds the ticket, alone: a digest carrying
    others' notices goes on (they would be lost with it; ``retried_digest`` leaves its
    overtaken parts out)."""
    return _held(delivery) and not delivery.digest


def tells_assignment(delivery: Delivery) -> bool:
    """A pending notice that holds only while its recipient holds the ticket, alone."""
    return _alone(delivery) and delivery.status is DeliveryStatus.PENDING


def no_longer_held(delivery: Delivery, holder: Holder | None) -> bool:
    """Its own notice holds only while its recipient holds the ticket, and the ticket's
    newest holder notify knows of is someone else (whatever its status; a digest's leader by
    its own notice). A ticket notify knows no holder of yet keeps it.

    An assignment's own event was kept as the holder first, so any other holder is newer.
    An SLA notice's event names the holder as routing saw it: only a holder newer than that
    makes it past. An older one is an assignment event notify has not taken yet (the
    escalation's ``ticket.routed`` travels on its own queue), and a real warning withheld
    costs more than a stale one sent."""
    if not _held(delivery) or holder is None or holder.assignee == delivery.recipient:
        return False
    if delivery.held_at is None:
        return True
    return epoch_ms(holder.at) > epoch_ms(delivery.held_at)


def overtaken(delivery: Delivery, holder: Holder | None) -> bool:
    """Whether the ticket ``delivery`` tells its recipient of as theirs moved on before it
    went out."""
    return tells_assignment(delivery) and no_longer_held(delivery, holder)


def in_inbox(delivery: Delivery) -> bool:
    """A notice that holds only while its recipient holds the ticket, delivered to the in-app
    inbox: stored, never sent later, so only the inbox view can tell it is past."""
    return (
        _alone(delivery)
        and delivery.channel is IN_APP
        and delivery.status is DeliveryStatus.DELIVERED
    )


def past_in_inbox(delivery: Delivery, holder: Holder | None) -> bool:
    """Whether the inbox shows ``delivery`` ``overtaken``: an assignment (or an SLA notice to
    the holder) delivered to the inbox whose ticket is no longer its recipient's (an agent
    who lost the ticket must not see "assigned to you" as current work). Computed when the
    inbox is read, not stored: the ticket back with them makes it current again, as it does
    a pending notice."""
    return in_inbox(delivery) and no_longer_held(delivery, holder)


def assignment_tickets(leader: Delivery) -> set[str]:
    """The tickets whose holder a digest's notices (its own and the ones it carries) may
    depend on: a carried notice keeps its ``held_at`` on its own delivery, not on the item."""
    told = [(leader.ticket_id, leader.template)]
    told += [(item.ticket_id, item.template) for item in leader.digest]
    return {ticket for ticket, template in told if ticket and template in HOLDER_TEMPLATES}
