"""What other services' events do to a ticket: routing's decisions, the bot's answers, SLA
warnings and breaches, notify's deliveries, feedback's surveys, ratings and appeal decisions.

Pure; the ``Ticket`` methods of the same names call these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts import events
from contracts.text import clipped
from services.intake.domain import sla
from services.intake.domain.deliveries import skipped
from services.intake.domain.records import MAX_TEXT_KEPT
from services.intake.domain.status import TicketStatus

if TYPE_CHECKING:
    from services.intake.domain.ticket import Ticket


def apply_routing(ticket: Ticket, routed: events.TicketRouted) -> None:
    """Take routing's decision; a late decision for a closed ticket is only logged.

    Closed is final: the decision (routing took it before it heard of the close)
    leaves queue, priority and assignee alone and is no "Routed to" step. A decision
    older than the last SLA escalation (it arrived late, on its own queue) does not
    move the ticket back to its old queue and priority, and one older than the reply that
    took the ticket does not take it from the replying agent. A push of a case waiting in a
    queue the ticket has left, or to another agent than the one holding it, was decided before
    routing heard of the transfer that moved it (``stale_push``): it is only logged too. A raise
    in place changes priority and clocks, never queue or holder (``raised_in_place``).
    """
    if ticket.status is TicketStatus.CLOSED:
        summary = f"Routing to {routed.queue} ({routed.priority.value}) ignored: closed"
        ticket._log(routed.routed_at, "routing_ignored", "routing", summary, service="routing")
        return
    if routed.rule == sla.RESUMED_RULE:
        resume_deadlines(ticket, routed)
        return
    if routed.rule == sla.TRANSFERRED_RULE:
        take_transfer_category(ticket, routed)
        return
    if stale_push(ticket, routed):
        held = f"{ticket.assignee} in {ticket.queue}" if ticket.assignee else ticket.queue
        summary = (
            f"Assignment to {routed.assignee} in {routed.queue} ignored: "
            f"the ticket moved to {held} since"
        )
        ticket._log(routed.routed_at, "routing_ignored", "routing", summary, service="routing")
        return
    in_place = raised_in_place(ticket, routed)
    if ticket.escalated_at is None or routed.routed_at >= ticket.escalated_at:
        ticket.priority = routed.priority
        if not in_place:
            ticket._place(routed.queue, routed.assignee or held_by_reply(ticket, routed))
    ticket.category = routed.category or ticket.category
    ticket.urgency = routed.urgency or ticket.urgency
    ticket.first_response_due = routed.first_response_due
    ticket.resolution_due = routed.resolution_due
    ticket.business_time_zone = routed.time_zone
    step = routed.model_copy(update={"queue": ticket.queue}) if in_place else routed
    kind, summary = sla.routing_step(step)
    ticket._log(
        routed.routed_at,
        kind,
        "routing",
        summary,
        service="routing",
        queue=step.queue,
        reason=routed.reason,
        first_response_due=routed.first_response_due.isoformat(),
        resolution_due=routed.resolution_due.isoformat(),
    )


def stale_push(ticket: Ticket, routed: events.TicketRouted) -> bool:
    """Whether push assignment handed out the ticket as it was before an agent's transfer.

    A push takes a case waiting in its queue with nobody on it; routing's own moves (a reopen,
    an escalation, a re-categorisation) reach intake before the push that follows them. So a
    push naming another queue than the ticket's, or another agent than the one holding it,
    was decided before routing took a transfer intake had already made (a claim, a
    reassignment within the second), which routing then applied over the push: taking it
    would leave the ticket with an agent routing's case no longer names.
    """
    if routed.rule != sla.DISPATCHED_RULE:
        return False
    moved_queue = routed.queue != ticket.queue
    return moved_queue or ticket.assignee not in (None, routed.assignee)


def raised_in_place(ticket: Ticket, routed: events.TicketRouted) -> bool:
    """Whether routing only raised the priority of a ticket intake has placed: its queue and
    holder stay intake's (docs/routing.md, "A raise moves nothing").

    Routing raises in place (a repeat contact, a worse disruption revision) with the queue and
    agent its case names, and publishes every move of its own as a decision of its own. So a
    raise naming another queue or holder than the ticket's was decided before routing heard
    of intake's transfer or claim, which reaches it on another queue, possibly after the
    raise (so no time tells them apart): taking the raise's would unassign that agent while
    routing's case, once it applies the transfer, names them.
    """
    return routed.rule == sla.URGENCY_RULE and ticket.queue is not None


def held_by_reply(ticket: Ticket, routed: events.TicketRouted) -> str | None:
    """The agent whose reply took the ticket after routing decided: a decision made before
    anyone answered names nobody because it could not know of them, and routing follows the
    reply too (docs/routing.md, "A reply takes it first")."""
    answered = ticket.first_response_at
    if answered is not None and routed.routed_at < answered:
        return ticket.assignee
    return None


def resume_deadlines(ticket: Ticket, routed: events.TicketRouted) -> None:
    """A wait ended and routing moved the deadlines by it: only they change (queue, priority
    and assignee may have moved since in intake), as a desk-only ``sla_resumed`` step."""
    ticket.first_response_due = routed.first_response_due
    ticket.resolution_due = routed.resolution_due
    ticket.business_time_zone = routed.time_zone
    ticket._log(
        routed.routed_at,
        "sla_resumed",
        "routing",
        sla.resumed_summary(routed),
        service="routing",
        first_response_due=routed.first_response_due.isoformat(),
        resolution_due=routed.resolution_due.isoformat(),
    )


def take_transfer_category(ticket: Ticket, routed: events.TicketRouted) -> None:
    """A transfer to another family set the category it implies in routing: the ticket takes
    it, as a desk-only ``recategorised`` step. Queue, agent, priority and deadlines are the
    transfer's and may have moved since (a later transfer): they stay."""
    ticket.category = routed.category or ticket.category
    ticket._log(
        routed.routed_at,
        "recategorised",
        "routing",
        f"Category set to {routed.category} by the transfer to {routed.assignee or routed.queue}",
        service="routing",
        queue=routed.queue,
        reason=routed.reason,
    )


def bot_answer(ticket: Ticket, answered: events.TicketBotAnswered) -> None:
    """Routing's bot answered from the knowledge base: that is the first response, and
    the ticket waits as bot-answered until the traveller says it did not help.

    An answer that arrives after a person took the ticket over is only logged.
    """
    ticket.category = answered.category or ticket.category
    if ticket.status in (TicketStatus.ACKNOWLEDGED, TicketStatus.ROUTED):
        ticket._move(TicketStatus.BOT_ANSWERED, "be answered by the bot")
        ticket.first_response_at = ticket.first_response_at or answered.answered_at
        ticket.last_activity_at = max(ticket.last_activity_at, answered.answered_at)
    ticket._log(
        answered.answered_at,
        "bot_answered",
        "routing",
        f"Bot answered with article {answered.article_id}: {answered.title}",
        service="routing",
        article_id=answered.article_id,
        language=answered.language,
        confidence=f"{answered.confidence:.3f}",
        reason=answered.reason,
        message=clipped(answered.answer, 500),
    )


def record_sla_warning(ticket: Ticket, warning: events.SlaWarning) -> None:
    """Routing's warning that a clock is running out: on the timeline, nothing else."""
    ticket._log(
        warning.warned_at,
        "sla_warning",
        "routing",
        sla.warning_summary(warning),
        service="routing",
        clock=warning.clock.value,
        deadline=warning.deadline.isoformat(),
        target_seconds=str(warning.target_seconds),
    )


def escalate_on_breach(ticket: Ticket, breached: events.SlaBreached) -> None:
    """Routing escalated a breached clock: follow its priority, queue and assignee.

    The priority only ever rises (an agent's or an appeal's raise stands);
    a breach older than the last one applied, or one arriving after the
    ticket was resolved or closed, is only logged.
    """
    newer = ticket.escalated_at is None or breached.breached_at >= ticket.escalated_at
    if newer and ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.escalated_at = breached.breached_at
        ticket.priority = sla.higher(ticket.priority, breached.priority)
        if breached.queue or breached.assignee:
            ticket._place(breached.queue or ticket.queue, breached.assignee)
    ticket._log(
        breached.breached_at,
        "sla_breached",
        "routing",
        sla.breach_summary(breached),
        service="routing",
        clock=breached.clock.value,
        level=breached.level.value,
        priority=breached.priority.value,
        deadline=breached.deadline.isoformat(),
    )


def record_appeal_decision(ticket: Ticket, decided: events.AppealResolved) -> None:
    """On the timeline; the appeal is no longer pending (the decision usually cleared it)."""
    pending = ticket.pending_appeal
    if pending is not None and pending.appeal_id == decided.appeal_id:
        ticket.pending_appeal = None
    ticket._log(
        decided.decided_at,
        "appeal_decided",
        decided.decided_by,
        f"Appeal {decided.appeal_number} decided: {decided.outcome}",
        service="feedback",
        appeal_id=decided.appeal_id,
    )


def record_notification_failure(ticket: Ticket, failed: events.NotificationFailed) -> None:
    passed_over = skipped(failed.skipped)
    ticket._log(
        failed.failed_at,
        "notification_failed",
        "notify",
        f"{failed.template} failed via {failed.channel} after {failed.attempts} attempts"
        + (f" ({passed_over})" if passed_over else ""),
        service="notify",
        error=failed.error,
        **({"skipped": passed_over} if passed_over else {}),
    )


WITHDRAWAL_REASONS: dict[events.SurveyWithdrawalReason, str] = {
    "reopened": "the ticket was reopened",
    "resolved_again": "the ticket was resolved again",
    "closed_unresolved": "the ticket was closed unresolved",
}


def record_survey(ticket: Ticket, survey: events.SurveySent | events.SurveyWithdrawn) -> None:
    """A survey sent, or withdrawn because the resolution it asked about no longer stands."""
    if isinstance(survey, events.SurveySent):
        summary = "Satisfaction survey sent"
        ticket._log(survey.sent_at, "survey_sent", "feedback", summary, service="feedback")
        return
    summary = f"Survey withdrawn: {WITHDRAWAL_REASONS[survey.reason]}"
    ticket._log(survey.withdrawn_at, "survey_withdrawn", "feedback", summary, service="feedback")


def record_feedback(ticket: Ticket, received: events.FeedbackReceived) -> None:
    """The rating, and the traveller's comment as their words (``text``, which the console
    quotes under the entry, as for a contact), so staff read both on the ticket."""
    scores = {
        name: str(value)
        for name, value in (("csat", received.csat), ("nps", received.nps))
        if value is not None
    }
    summary = ", ".join(f"{k.upper()} {v}" for k, v in scores.items()) or "Feedback"
    comment = {"text": received.comment[:MAX_TEXT_KEPT]} if received.comment else {}
    ticket._log(
        received.received_at,
        "rated",
        ticket.traveller.id,
        f"Traveller rated: {summary}",
        service="feedback",
        **scores,
        **comment,
    )
