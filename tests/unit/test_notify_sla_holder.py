"""An SLA notice to a ticket's holder goes out only while the ticket is still theirs.

"SLA at risk on TC-1" (``sla_warning``) and "SLA breached" (``sla_breached``) go to the
agent the event names as the holder. One that waited for a retry or a rate-limit slot was
sent even when the ticket had meanwhile gone to another agent, to a queue, or been
resolved: the old agent was pressed about work no longer theirs. Now the notice keeps its
event's time (``held_at``) and ends ``overtaken`` when notify knows of a newer holder; a
holder notify learnt of from before the event (an assignment event taken late, or the
escalation's own routing not taken yet) leaves it to go out.
"""

from __future__ import annotations

from datetime import timedelta

from contracts.envelope import Event
from services.notify.domain.delivery import Delivery, DeliveryStatus
from services.notify.domain.outcome import Outcome
from services.notify.domain.recipients import Role
from tests.factories import T0, envelope
from tests.unit.test_notify_appeals_sla import breached, warning
from tests.unit.test_notify_overtaken_assignments import KIM, SATO, Desk, assigned, resolved


def warned(at_minutes: int, assignee: str = SATO.id) -> Event:
    return warning(assignee=assignee).model_copy(
        update={"warned_at": T0 + timedelta(minutes=at_minutes)}
    )


def escalated(at_minutes: int, assignee: str = SATO.id) -> Event:
    """A breach whose escalation gave the ticket to ``assignee``."""
    return breached(assignee=assignee).model_copy(
        update={"breached_at": T0 + timedelta(minutes=at_minutes), "previous_assignee": KIM.id}
    )


async def told_to(desk: Desk, event: Event, message_id: str, person: str) -> Delivery:
    added = await desk.notifier.notify(envelope(event, message_id=message_id))
    (notice,) = [d for d in added if d.recipient == person]
    return notice


async def waiting_for_its_retry(desk: Desk, event: Event) -> Delivery:
    """Sato's notice of ``event``, its first attempt failed for a moment."""
    await desk.take(assigned(SATO.id), "routed-1")
    await desk.dispatch(SATO)
    notice = await told_to(desk, event, "sla-1", SATO.id)
    desk.mailer.fail = Outcome.TEMPORARY
    await desk.dispatch(SATO)
    assert await desk.status(notice.id) is DeliveryStatus.PENDING
    desk.mailer.fail = None
    return notice


async def test_a_warning_waiting_for_its_retry_is_not_sent_once_the_ticket_moved_on() -> None:
    desk = Desk()
    notice = await waiting_for_its_retry(desk, warned(1))
    await desk.take(assigned(KIM.id, 2), "routed-2")

    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch(SATO)

    assert [m.delivery_id for m in desk.mailer.sent if "SLA" in m.subject] == []
    assert await desk.status(notice.id) is DeliveryStatus.OVERTAKEN


async def test_a_breach_notice_to_the_old_holder_is_not_sent_once_it_was_resolved() -> None:
    desk = Desk()
    notice = await waiting_for_its_retry(desk, escalated(1))
    await desk.notifier.notify(envelope(resolved(2), message_id="resolved-1"))

    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch(SATO)

    assert await desk.status(notice.id) is DeliveryStatus.OVERTAKEN


async def test_a_warning_still_the_holders_goes_out() -> None:
    desk = Desk()
    notice = await waiting_for_its_retry(desk, warned(1))
    await desk.take(assigned(SATO.id, 2).model_copy(update={"rule": "urgency-raised"}), "r-2")

    desk.clock.advance(timedelta(hours=1))
    await desk.dispatch(SATO)

    assert await desk.status(notice.id) is DeliveryStatus.DELIVERED


async def test_a_breach_naming_a_holder_notify_has_not_learnt_of_yet_goes_out() -> None:
    """The escalation's ``ticket.routed`` travels on its own queue and may come later: the
    older holder notify knows of is no reason to keep the new holder's breach notice back."""
    desk = Desk()
    await desk.take(assigned(KIM.id), "routed-1")
    notice = await told_to(desk, escalated(5), "breached-1", SATO.id)

    await desk.dispatch(SATO)

    assert notice.template == "sla_breached"
    assert await desk.status(notice.id) is DeliveryStatus.DELIVERED


async def test_the_team_warned_of_a_queued_ticket_is_not_held_back() -> None:
    desk = Desk()
    await desk.take(assigned(SATO.id, 2), "routed-1")

    added = await desk.notifier.notify(envelope(warning(assignee=None), message_id="sla-1"))

    assert [d.role for d in added] == [Role.TEAM]
    assert added[0].held_at is None
