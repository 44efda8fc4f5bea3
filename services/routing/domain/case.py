"""Routing's rules: priority, queue, agent, and whether the bot may answer. Pure, time passed in.

A case file per ticket keeps what the classifier read and every decision taken
on it, so that each decision can be explained on the ticket's timeline
(``TicketRouted.reason``, ``TicketBotAnswered.reason``) and learnt from when an
agent corrects it. The rules and their order are documented in docs/routing.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import Field, computed_field

from contracts import events
from contracts.events import Channel, EscalationLevel, Priority, SlaClock, Traveller
from runtime.aggregate import Aggregate
from services.routing.assignment.domain.agents import Assignment
from services.routing.assignment.domain.escalation import Escalation
from services.routing.assignment.domain.policy import RoutingPolicy
from services.routing.assignment.domain.queues import Rule
from services.routing.domain import clock_events, raises
from services.routing.domain.priority import (
    RAISED,
    UrgencySignals,
    highest,
    is_negative,
    triage_priority,
)
from services.routing.domain.route import Route, deadlines_moved, routed_event
from services.routing.domain.status import REOPENED_AFTER_BOT, TAKEN_OVER, BotAnswer, CaseStatus
from services.routing.domain.triage_view import TriageView
from services.routing.kb.domain import BotDecision
from services.routing.sla.domain import CaseSla, ClockRun, Tier, TimerKind

MAX_TEXT_KEPT = 4_000
"""Characters of the contact a case keeps: enough to learn from a correction."""


class RoutingCase(Aggregate):
    status: CaseStatus = CaseStatus.PENDING
    traveller: Traveller | None = None
    channel: Channel | None = None
    text: str = ""
    names_booking: bool = False
    triage: TriageView | None = None
    base_priority: Priority = Priority.NORMAL
    priority: Priority = Priority.NORMAL
    repeat_contacts: int = 0
    human_only: str | None = None
    """Set once the bot must never answer this ticket again, with the reason."""
    proactive: bool = False
    quiet: bool = False
    """List or bulk mail, or no automatic answer asked: no routing notice, no bot answer."""
    queue: str | None = None
    assignee: str | None = None
    last_assignee: str | None = None
    """Who had the case when it was last resolved: a reopen goes back to them (``handled_in``)."""
    resolved_by: str | None = None
    """Who made the last resolution: its appeal is never theirs to review (``assign``)."""
    rule: Rule | None = None
    reason: str | None = None
    bot: BotAnswer | None = None
    bot_decision: str | None = None
    opened_at: datetime | None = None
    clock_started_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    lifecycle_at: datetime | None = None
    """When intake last resolved, reopened or closed the ticket, as applied (``superseded``)."""
    first_response_met: bool | None = None
    resolution_met: bool | None = None
    sla: CaseSla = Field(default_factory=CaseSla)
    escalation: EscalationLevel | None = None
    """How far a breached SLA has escalated the current run (docs/sla.md)."""
    managers: tuple[str | None, str | None] = (None, None)
    """The tenant's account and support manager as its policy named them when last read:
    ``ticket.routed`` carries them, so notify alerts them of critical tickets."""
    published_priority: Priority | None = None
    """The priority the last ``ticket.routed`` of this open run carried (its next one's
    ``previous_priority``): None before the first, and again once resolved or closed."""
    itinerary_priority: Priority | None = None
    """The highest priority a later disruption revision gave the case before it opened (its
    notice overtook ``ticket.opened``): the opening's floor (``revise_itinerary``)."""

    @classmethod
    def blank(cls, tenant_id: str, ticket_id: str) -> RoutingCase:
        return cls(id=ticket_id, tenant_id=tenant_id)

    @staticmethod
    def contact_text(opened: events.TicketOpened) -> str:
        """What is classified and learnt from: the subject line and the text."""
        text = f"{opened.subject}\n{opened.text}" if opened.subject else opened.text
        return text[:MAX_TEXT_KEPT]

    @property
    def routable(self) -> bool:
        """No decision taken yet, and not resolved before we heard the ticket open."""
        return self.status is CaseStatus.PENDING and self.resolved_at is None

    def take_opening(self, opened: events.TicketOpened, triage: TriageView) -> None:
        """Keep the contact, the classifier's reading and any later event's traveller."""
        self.traveller = self.traveller or opened.traveller  # an overtaking follow-up's
        self.channel = opened.channel
        self.text = self.contact_text(opened)
        self.names_booking = bool(opened.references)
        self.proactive, self.quiet = opened.proactive, opened.quiet
        self.opened_at = opened.opened_at
        self.triage = triage
        floor = highest(opened.priority, self.itinerary_priority or opened.priority)
        self.base_priority = triage_priority(triage.urgency, floor, self.proactive)
        self._score()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def appealed_resolver(self) -> str | None:
        """Whom an open appeal run passes over (by tier: a breach rewrites ``rule``); stored."""
        appeal = self.status is CaseStatus.OPEN and self.sla.tier is Tier.APPEAL
        return self.resolved_by if appeal else None

    @property
    def waiting_for_agent(self) -> bool:
        """Open in a queue with nobody on it: what dispatch hands out."""
        return self.status is CaseStatus.OPEN and self.queue is not None and self.assignee is None

    def hand_to(self, assignment: Assignment, now: datetime) -> None:
        """An agent with room takes this waiting case; its queue, priority and clocks stay."""
        self.assignee = assignment.assignee
        self.rule = Rule.DISPATCHED
        self._publish(f"queue {self.queue}: {assignment.note}", now)

    def know_managers(self, policy: RoutingPolicy) -> None:
        """Remember who the tenant's policy names to alert (carried on ``ticket.routed``)."""
        self.managers = (policy.account_manager, policy.support_manager)

    def signals(self, vip: str | None, departs_in: timedelta | None = None) -> UrgencySignals:
        return UrgencySignals(
            vip=vip,
            negative_sentiment=is_negative(self.triage),
            repeat_contacts=self.repeat_contacts,
            departs_in=departs_in,
        )

    def answer_by_bot(self, decision: BotDecision, threshold: float, now: datetime) -> None:
        """Send the article's answer; the ticket waits as bot-answered."""
        assert self.traveller is not None
        assert self.channel is not None
        self.status = CaseStatus.BOT_ANSWERED
        self.queue = None
        self.assignee = None
        self.rule = None
        self.bot, answer = BotAnswer.given(decision, now)
        self.bot_decision = decision.why
        self.first_response_at = now
        triage = self.triage
        self.reason = (
            f"category {triage.summary() if triage else 'unknown'}; bot answered: {decision.why}"
        )
        self.raise_event(
            events.TicketBotAnswered(
                ticket_id=self.id,
                channel=self.channel,
                traveller=self.traveller,
                article_id=self.bot.article_id,
                title=self.bot.title,
                answer=answer,
                language=self.bot.language,
                confidence=round(self.bot.confidence, 4),
                threshold=threshold,
                category=triage.category if triage else None,
                top_categories=triage.top_categories if triage else [],
                reason=self.reason,
                answered_at=now,
            )
        )

    def route(
        self,
        route: Route,
        clock_start: datetime,
        now: datetime,
        *,
        why: str = "",
        tier: Tier = Tier.NEW,
        respond: bool = False,
    ) -> None:
        """Hand the case to a queue (and an agent, if one is free) with SLA clocks from
        ``clock_start``: fresh ones when it is a new start (``respond``: a first response),
        else retargeted if the priority changes (a breach raises the case, not its clocks)."""
        changed = route.priority != self.priority
        self.status = CaseStatus.OPEN
        self.priority = route.priority
        self.queue = route.queue.id
        self.assignee = route.assignment.assignee
        self.rule = route.rule
        self.bot_decision = route.bot_why or self.human_only
        if clock_start != self.clock_started_at:
            respond = respond or tier is not Tier.NEW or self.first_response_at is None
            stopped = self.sla.start_run(
                route.sla, self.priority, tier, clock_start, respond=respond, on_trip=route.on_trip
            )
            self._clocks_stopped(stopped)
            self.escalation = None
        elif changed:
            self.sla.retarget(self.priority, now)
        self.clock_started_at = clock_start
        self._publish(why + route.explain(self.triage), now)

    def follow_up(self, followed: events.TicketFollowedUp, vip: str | None, now: datetime) -> None:
        """A repeat contact; chased often enough, an open case goes up (``raises``)."""
        raises.follow_up(self, followed, vip, now)

    def revise_itinerary(
        self, notice: events.DisruptionNotice, now: datetime, takeover: Route | None = None
    ) -> bool:
        """A later disruption revision raises the case, or hands it from the bot (``raises``)."""
        return raises.revise_itinerary(self, notice, now, takeover)

    def raise_in_place(self, priority: Priority, why: str, now: datetime) -> None:
        """Same queue and agent; the running clocks take its targets from the raise, never
        later than they were due (docs/sla.md); ``ticket.routed`` tells intake."""
        self.priority, self.rule = priority, Rule.URGENCY_RAISED
        self.sla.retarget(priority, now)
        self._publish(f"priority raised to {priority.value}: {why}", now)

    def superseded(self, at: datetime) -> bool:
        """Whether intake's ticket event at ``at`` comes too late to change the case.

        Ticket events travel on separate queues, so one can overtake another: a closed case
        stays closed (closed is final in intake, so the event came before the close), and an
        event older than the last resolve or reopen applied belongs to a run that is over. A
        late transfer, wait, resume, reply or follow-up would otherwise hold an agent's slot
        or run clocks that nobody stops.
        """
        return self.status is CaseStatus.CLOSED or (
            self.lifecycle_at is not None and at < self.lifecycle_at
        )

    def reopened_priority(self, reopened: events.TicketReopened) -> Priority:
        """One level above what it was, or intake's raised priority if that is higher."""
        return highest(RAISED[self.priority], reopened.priority)

    def reopen(self, reopened: events.TicketReopened, route: Route, now: datetime) -> None:
        """Back to a human (never the bot again), raised, with fresh targets from the reopen."""
        self.traveller = reopened.traveller
        if self.human_only is None:
            self.human_only = REOPENED_AFTER_BOT if self.bot else "reopened: a person answers"
        self.resolved_at = None
        self.resolution_met = None
        self.lifecycle_at = reopened.reopened_at
        tier = Tier.APPEAL if reopened.appeal_level else Tier.REOPENED
        why = f"reopened ({reopened.reason}); "
        self.route(route, reopened.reopened_at, now, why=why, tier=tier)

    def take_over(self, replied: events.TicketReplied, route: Route, now: datetime) -> None:
        """A person answered the bot-answered ticket: it is theirs (``route`` names them), with
        a resolution clock from their reply; the bot never answers it again."""
        self.human_only = self.human_only or TAKEN_OVER
        why = f"taken over from the bot by {replied.author}; "
        self.route(route, replied.replied_at, now, why=why)

    def recategorise(self, category: str, route: Route, *, by: str, now: datetime) -> None:
        """An agent set the category; the route was decided by it."""
        assert self.triage is not None
        self.triage = self.triage.corrected(category, by)
        self.route(route, self.clock_started_at or now, now, why=f"re-categorised by {by}; ")

    def transfer(
        self,
        transferred: events.TicketTransferred,
        category: str | None,
        takeover: Route | None = None,
    ) -> None:
        """An agent moved the ticket: it takes the ``category`` a move to another family
        implies, so the queue's agents qualify for it. A bot-answered case is a person's, as
        by a reply (``take_over``): open on ``takeover``, the transfer's queue and agent, a
        resolution clock from the move; an open case tells intake the category alone."""
        self.queue = transferred.to_queue
        self.assignee = transferred.to_assignee
        if category is not None and self.triage is not None:
            self.triage = self.triage.corrected(category, "transfer")
        moved = f"transferred to {transferred.to_assignee or self.queue} by {transferred.by}"
        at = transferred.transferred_at
        if self.status is CaseStatus.BOT_ANSWERED:
            assert takeover is not None
            self.human_only = self.human_only or TAKEN_OVER
            self.route(takeover, at, at, why=f"{moved}: taken over from the bot; ")
        elif self.status is CaseStatus.OPEN and category is not None and self.triage is not None:
            self.rule = Rule.TRANSFERRED
            self._publish(f"{moved}; category {self.triage.summary()}", at)

    def resolve(self, resolved: events.TicketResolved) -> None:
        self.status = CaseStatus.RESOLVED
        self.traveller = resolved.traveller
        self.opened_at = self.opened_at or resolved.opened_at
        self.first_response_at = resolved.first_response_at
        self.resolved_at = resolved.resolved_at
        self.lifecycle_at = resolved.resolved_at
        self.last_assignee = self.assignee or resolved.resolved_by
        self.resolved_by = resolved.resolved_by
        self.assignee = self.published_priority = None
        self._score()
        self._clocks_stopped(self.sla.resolved(resolved.first_response_at, resolved.resolved_at))

    def close(self, changed: events.TicketStatusChanged) -> None:
        self.status = CaseStatus.CLOSED
        self.assignee = self.published_priority = None
        self.resolved_at = self.resolved_at or changed.changed_at
        self.lifecycle_at = changed.changed_at
        self._clocks_stopped(self.sla.closed(changed.changed_at))
        self.priority = changed.priority or self.priority  # intake's: final, as the close is

    # ------------------------------------------------------------ SLA clocks (docs/sla.md)

    def respond(self, replied: events.TicketReplied) -> None:
        """An agent answered: the first (or next) response clock stops."""
        self.first_response_at = self.first_response_at or replied.replied_at
        self._clocks_stopped(self.sla.responded(replied.replied_at))

    def wait_on(self, changed: events.TicketStatusChanged, *, supplier: bool) -> None:
        """The ticket waits: customer clocks pause; on a supplier, the supplier chase runs."""
        self._clocks_stopped(self.sla.wait(supplier, self.priority, changed.changed_at))

    def end_wait(self, changed: events.TicketStatusChanged) -> None:
        self._clocks_stopped(self.sla.resume(changed.changed_at))
        deadlines_moved(self, changed.changed_at)  # later by the pause: intake is told

    def warn(self, clock: SlaClock, now: datetime) -> None:
        """A clock used its warning share: tell whoever holds the ticket.

        A warning whose deadline has passed too (routing was down) is dropped: the
        breach follows at once and says more.
        """
        run = self.sla.clocks[clock]
        assert run.deadline is not None
        run.warned = True
        if run.deadline <= now:
            return
        self.raise_event(clock_events.warning(self, run, now))

    def breach(self, clock: SlaClock, step: Escalation, now: datetime) -> None:
        """A clock passed its deadline: one level up the ladder, one priority level up.

        The running clocks keep their targets: raising them now would breach them at once.
        """
        run = self.sla.clocks[clock]
        assert run.deadline is not None
        run.breached = True
        previous_priority, previous_assignee = self.priority, self.assignee
        self.priority = RAISED[self.priority]
        self.escalation = step.level
        self.queue = step.queue
        self.assignee = step.assignment.assignee
        self.rule = Rule.SLA_ESCALATED
        self.raise_event(
            clock_events.breached(self, run, step, (previous_priority, previous_assignee), now)
        )
        self._publish(
            f"SLA {clock.value} breached: escalated to {step.level.value} "
            f"({step.assignment.note}); priority {previous_priority.value} → {self.priority.value}",
            now,
        )

    def timer_due(self, clock: SlaClock, kind: TimerKind, generation: int, now: datetime) -> bool:
        """Whether a stored timer still stands for this case and its moment has come."""
        return self.status is CaseStatus.OPEN and self.sla.pending(clock, kind, generation, now)

    def _clocks_stopped(self, runs: Sequence[ClockRun]) -> None:
        """Publish each clock that ended, met, missed or void: feedback's SLA attainment."""
        category = self.triage.category if self.triage else None
        for run in runs:
            if run.clock is SlaClock.FIRST_RESPONSE:
                self.first_response_met = run.met
            elif run.clock is SlaClock.RESOLUTION:
                self.resolution_met = run.met
            self.raise_event(run.stopped_event(self.id, category, case_priority=self.priority))

    def _publish(self, reason: str, now: datetime) -> None:
        """``ticket.routed`` with the clocks' deadlines; with no first-response clock (the
        bot's answer was the response) the first response was due when the clocks started."""
        start = self.clock_started_at
        assert start is not None
        self.first_response_due = (
            self.sla.due(SlaClock.FIRST_RESPONSE) or self.first_response_due or start
        )
        self.resolution_due = self.sla.due(SlaClock.RESOLUTION) or self.resolution_due or start
        self.reason = reason
        self.raise_event(routed_event(self, now))
        self.published_priority = self.priority

    def _score(self) -> None:
        """Whether the SLA targets were met, once both ends of a clock are known."""
        if self.first_response_at and self.first_response_due:
            self.first_response_met = self.first_response_at <= self.first_response_due
        if self.resolved_at and self.resolution_due:
            self.resolution_met = self.resolved_at <= self.resolution_due
