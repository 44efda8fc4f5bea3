"""One routing decision: queue, rule, agent, priority, the SLA terms its clocks start on, and
how it reads on the ticket's timeline. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from contracts import events
from contracts.events import Priority, SlaClock
from services.routing.assignment.domain.agents import Agent, Assignment, choose_agent
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import GENERAL_QUEUE, QueueDef, Rule
from services.routing.domain.status import CaseStatus
from services.routing.domain.triage_view import TriageView
from services.routing.kb.domain import reading_language
from services.routing.sla.domain import DEFAULT_SLA, SlaPolicy

if TYPE_CHECKING:
    from services.routing.domain.case import RoutingCase


@dataclass(frozen=True)
class Route:
    """One routing decision, ready to be explained."""

    queue: QueueDef
    rule: Rule
    assignment: Assignment
    priority: Priority
    priority_note: str
    bot_why: str | None
    sla: SlaPolicy = DEFAULT_SLA
    """The tenant's SLA policy, for clocks that start with this decision."""
    on_trip: bool = False
    """The traveller is travelling now: clocks count 24/7 (the trips read model's seam, #8)."""

    def explain(self, triage: TriageView | None) -> str:
        """The decision in one line for the timeline: category, queue and rule, priority,
        agent, and why the bot did not answer."""
        priority = f"priority {self.priority.value}"
        if self.priority_note:
            priority += f" ({self.priority_note})"
        parts = [
            f"category {triage.summary()}" if triage else "not classified",
            f"queue {self.queue.id} by rule {self.rule.value}",
            priority,
            self.assignment.note,
        ]
        if self.bot_why:
            parts.append(f"bot: {self.bot_why}")
        return "; ".join(parts)


def handled_in(case: RoutingCase) -> tuple[str | None, str | None]:
    """Where a reopen goes back to: the queue and agent that last had the resolved case (a
    transfer's queue, not its category's); nothing for a bot answer."""
    if case.status is not CaseStatus.RESOLVED:
        return None, None
    return case.queue, case.last_assignee


@dataclass(frozen=True)
class Recategorised:
    """A re-categorisation moving the case to another family's queue: who set the category,
    and whether they asked that the case's agent keep it whatever their skills."""

    by: str
    keep_agent: bool = False


def assign(
    agents: Sequence[Agent],
    case: RoutingCase,
    policy: RoutingPolicy,
    queue: QueueDef,
    rule: Rule,
    moved: Recategorised | None = None,
) -> Assignment:
    """The agent for a case routed to ``queue`` by ``rule`` (``choose_agent``): a VIP's
    account manager by category; a reopened case's last agent (``handled_in``)
    when it went back to its last queue; a held case ``moved`` by a re-categorisation
    stays with its agent only as ``reassign`` says; an appeal never goes to whoever made
    the resolution it appeals, who may not decide it (docs/feedback.md)."""
    if moved is not None and case.assignee is not None:
        return reassign(agents, case, policy, queue, rule, moved)
    passed = ""
    resolver = case.resolved_by if rule is Rule.APPEAL else case.appealed_resolver
    if resolver is not None:
        agents = [a for a in agents if a.agent_id != resolver]
        passed = f"{resolver} made the appealed resolution; "
    traveller = case.traveller.id if case.traveller else None
    chosen = choose_agent(
        agents,
        tenant_id=case.tenant_id,
        ticket_id=case.id,
        queue=queue,
        category=case.triage.category if case.triage else None,
        language=desk_language(case),
        account_manager=policy.account_manager_for(traveller) if rule is Rule.CATEGORY else None,
        mode=policy.assignment,
        previous=handled_in(case)[1] if rule is Rule.REOPENED else None,
    )
    return replace(chosen, note=passed + chosen.note) if passed else chosen


def second_appeal_reviewer(policy: RoutingPolicy, resolver: str | None) -> Assignment | None:
    """Who reviews a second appeal, which only a manager or admin may decide: the policy's
    support manager; when they made the resolution it appeals (nobody reviews their own
    decision), or none is named, their deputy. Never the account manager, whose role may
    decide no appeal. None when neither can, and it is routed as a first appeal
    (``assign``)."""
    manager, deputy = policy.support_manager, policy.deputy_support_manager
    if manager is not None and manager != resolver:
        return Assignment(manager, f"{manager}: the support manager reviews it")
    if deputy is None or deputy == resolver:
        return None
    passed = f"{manager} made the appealed resolution; " if manager is not None else ""
    return Assignment(deputy, f"{passed}{deputy}: the deputy support manager reviews it")


def reassign(
    agents: Sequence[Agent],
    case: RoutingCase,
    policy: RoutingPolicy,
    queue: QueueDef,
    rule: Rule,
    moved: Recategorised,
) -> Assignment:
    """A held case re-categorised into another family's ``queue``: its agent keeps it when
    asked to, when skilled for it (load and presence aside: they hold it already) or when
    they are no registered agent (a manager's reply took it: no skills to check, and they
    hand it on with a transfer). Otherwise it is routed as any case, among the others; the
    caller gives the agent's slot back once it commits."""
    holder = case.assignee
    assert holder is not None
    if moved.keep_agent:
        return Assignment(holder, f"{holder} keeps it, as {moved.by} asked")
    agent = next(
        (a for a in agents if a.tenant_id == case.tenant_id and a.agent_id == holder), None
    )
    if agent is None:
        return Assignment(holder, f"{holder} keeps it (not a registered agent)")
    category = case.triage.category if case.triage else None
    why = agent.unskilled(queue, category, desk_language(case))
    if why is None:
        return Assignment(holder, f"{holder} keeps it: qualified for {queue.id}")
    others = [a for a in agents if a.agent_id != holder]
    chosen = assign(others, case, policy, queue, rule)
    return replace(chosen, note=f"{holder} not qualified for {queue.id} ({why}); {chosen.note}")


def desk_language(case: RoutingCase) -> str | None:
    """The language an agent must read on the case (``reading_language``)."""
    traveller = case.traveller
    return reading_language(
        case.triage.language if case.triage else None,
        traveller.language if traveller else None,
        traveller.detected_language if traveller else None,
        proactive=case.proactive,
    )


def case_language(case: RoutingCase) -> tuple[str | None, float | None]:
    """The case's language and how sure triage is of it, as the case file and
    ``ticket.routed`` (feedback's by-language) show it: what triage read of the traveller's
    text; for a proactive ticket, whose text TripCare wrote, the desk's (no guess: no
    confidence)."""
    if case.proactive:
        return desk_language(case), None
    triage = case.triage
    return (triage.language, triage.language_confidence) if triage else (None, None)


def business_zone(case: RoutingCase, priority: Priority | None = None) -> str | None:
    """The tenant's business time zone for deadlines counted at ``priority`` (default: the
    one the case's deadlines run under): its SLA calendar's (kept even while a trip counts
    the clocks 24/7); None for a 24/7 calendar."""
    terms = case.sla.policy.terms(priority or deadlines_priority(case))
    hours = terms.calendar.business_hours
    return hours.time_zone if hours else None


def deadlines_priority(case: RoutingCase) -> Priority:
    """The priority the case's shown deadlines count at: their runs' own. A breach raises
    the ticket's priority, not the calendar of the clocks already running (docs/sla.md)."""
    for clock in (SlaClock.RESOLUTION, SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE):
        if run := case.sla.running(clock):
            return run.ran_under(case.priority)
    return case.priority


def routed_event(case: RoutingCase, now: datetime) -> events.TicketRouted:
    """The case's current decision as ``ticket.routed``, with what the classifier read."""
    triage = case.triage
    language, language_confidence = case_language(case)
    assert case.traveller is not None
    assert case.first_response_due is not None
    assert case.resolution_due is not None
    return events.TicketRouted(
        ticket_id=case.id,
        traveller=case.traveller,
        queue=case.queue or GENERAL_QUEUE,
        assignee=case.assignee,
        category=triage.category if triage else None,
        priority=case.priority,
        previous_priority=case.published_priority,
        first_response_due=case.first_response_due,
        resolution_due=case.resolution_due,
        time_zone=business_zone(case),
        reason=case.reason or "",
        routed_at=now,
        language=language,
        urgency=triage.urgency if triage else None,
        sentiment=triage.sentiment if triage else None,
        top_categories=triage.top_categories if triage else [],
        category_confidence=triage.category_confidence if triage else None,
        urgency_confidence=triage.urgency_confidence if triage else None,
        sentiment_confidence=triage.sentiment_confidence if triage else None,
        language_confidence=language_confidence,
        rule=case.rule.value if case.rule else None,
        bot_decision=case.bot_decision,
        proactive=case.proactive,
        quiet=case.quiet,
        account_manager=case.managers[0],
        support_manager=case.managers[1],
    )


def deadlines_moved(case: RoutingCase, at: datetime) -> None:
    """A wait ended at ``at``: the running clocks' deadlines moved by the pause. The case's
    dues follow, and ``ticket.routed`` with rule ``sla-resumed`` takes them to intake (the
    console's clock and queue order, the traveller's tracking page), which otherwise kept the
    deadlines from before the wait; notify tells nobody. The case's rule and reason stay."""
    if case.status is not CaseStatus.OPEN or case.queue is None or case.traveller is None:
        return
    first = case.sla.due(SlaClock.FIRST_RESPONSE) or case.first_response_due
    resolution = case.sla.due(SlaClock.RESOLUTION) or case.resolution_due
    if first is None or resolution is None:
        return
    if (first, resolution) == (case.first_response_due, case.resolution_due):
        return
    case.first_response_due, case.resolution_due = first, resolution
    reason = f"SLA clocks resumed after the wait: resolution due {resolution.isoformat()}"
    event = routed_event(case, at).model_copy(
        update={"rule": Rule.SLA_RESUMED.value, "reason": reason}
    )
    case.raise_event(event)


def claim_by_reply(case: RoutingCase, replied: events.TicketReplied) -> str | None:
    """A person's reply to an open case nobody holds (``waiting_for_agent``) makes it the
    holder's intake named (``TicketReplied.assignee``: the reply's author, or whoever answered
    first), as intake's ticket is theirs: returned, for the caller to hold their slot before
    the case commits, and dispatch no longer hands it out. Queue, priority and clocks stay, and
    intake placed the ticket itself: no ``ticket.routed``. None, the case as it was, when
    someone holds it (they keep it, as in intake) or intake gave it to nobody (a reply to a
    waiting ticket, or an older event that does not say)."""
    holder = replied.assignee
    if holder is None or not case.waiting_for_agent:
        return None
    case.assignee = holder
    case.reason = f"{case.reason}; {holder} holds it: {replied.author} answered while it waited"
    return holder
