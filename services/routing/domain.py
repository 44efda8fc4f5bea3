"""Routing's rules: priority, queue, agent, and whether the bot may answer. Pure, time passed in.

A case file per ticket keeps what the classifier read and every decision taken
on it, so that each decision can be explained on the ticket's timeline
(``TicketRouted.reason``, ``TicketBotAnswered.reason``) and learnt from when an
agent corrects it. The rules and their order are documented in docs/routing.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from contracts import events
from contracts.events import (
    AppealLevel,
    CategoryConfidence,
    Channel,
    EscalationLevel,
    Priority,
    SlaClock,
    Traveller,
)
from runtime.aggregate import Aggregate
from services.routing.sla.domain import DEFAULT_SLA, CaseSla, ClockRun, SlaPolicy, Tier, TimerKind

if TYPE_CHECKING:
    from services.routing.assignment.domain.escalation import Escalation

MAX_TEXT_KEPT = 4_000
"""Characters of the contact a case keeps: enough to learn from a correction."""

# ---------------------------------------------------------------- priority levels

RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.CRITICAL,
    Priority.CRITICAL: Priority.CRITICAL,
}

_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.CRITICAL)


def _rank(priority: Priority) -> int:
    return _ORDER.index(priority)


def highest(*priorities: Priority) -> Priority:
    return max(priorities, key=_rank)


# ---------------------------------------------------------------- what the classifier read


COMPLAINT = "service_complaint"
UNSURE_CATEGORY = "other"


class TriageView(BaseModel):
    """The classifier's answer as routing keeps it (``services.routing.triage.Triage``)."""

    model_config = ConfigDict(frozen=True)

    language: str
    category: str
    category_confidence: float
    urgency: str
    sentiment: str
    sentiment_confidence: float
    top_categories: list[CategoryConfidence]
    model_version: str
    urgency_confidence: float | None = None
    language_confidence: float | None = None
    """None on case files written before triage-v2."""

    def probability(self, category: str) -> float:
        """The category's probability if it is among the top ones, else 0."""
        return next((c.confidence for c in self.top_categories if c.category == category), 0.0)

    def summary(self) -> str:
        """``invoice 0.97 (billing 0.02, reimbursement 0.01)``: for the timeline."""
        rest = ", ".join(
            f"{c.category} {c.confidence:.2f}"
            for c in self.top_categories
            if c.category != self.category and c.confidence >= 0.005
        )
        head = f"{self.category} {self.category_confidence:.2f}"
        return f"{head} ({rest})" if rest else head


# ---------------------------------------------------------------- priority

URGENCY_PRIORITY = {
    "critical": Priority.CRITICAL,
    "high": Priority.HIGH,
    "normal": Priority.NORMAL,
    "low": Priority.LOW,
}
REPEAT_CONTACTS_RAISE = 2
"""From the second repeat contact on, the traveller is chasing us: one level up."""
NEGATIVE_SENTIMENT_CONFIDENCE = 0.6
DEPARTURE_SOON = timedelta(hours=24)


def triage_priority(urgency: str | None, floor: Priority) -> Priority:
    """The classifier's urgency as a priority.

    Intake sends ``normal`` for every contact, which is a default, not a
    judgement: only a priority above it (a proactive contact) is a floor, so a
    contact that says "no rush" can still be ``low``.
    """
    priority = URGENCY_PRIORITY.get(urgency or "", Priority.NORMAL)
    if _rank(floor) > _rank(Priority.NORMAL):
        return highest(priority, floor)
    return priority


@dataclass(frozen=True)
class UrgencySignals:
    """What raises a case's urgency beyond what its text says."""

    vip: str | None = None
    """``VIP tenant`` or ``VIP traveller`` when the tenant's routing policy says so."""
    negative_sentiment: bool = False
    repeat_contacts: int = 0
    departs_in: timedelta | None = None
    """Time to the traveller's next departure: issue #8 fills it from the trips read model."""

    def reasons(self) -> list[str]:
        found = [self.vip] if self.vip else []
        if self.negative_sentiment:
            found.append("negative sentiment")
        if self.repeat_contacts >= REPEAT_CONTACTS_RAISE:
            found.append(f"{self.repeat_contacts} repeat contacts")
        if self.departs_in is not None and self.departs_in <= DEPARTURE_SOON:
            found.append("departs within 24 h")
        return found


def is_negative(triage: TriageView | None) -> bool:
    """Negative sentiment the classifier is sure enough of to raise the urgency."""
    return (
        triage is not None
        and triage.sentiment == "negative"
        and triage.sentiment_confidence >= NEGATIVE_SENTIMENT_CONFIDENCE
    )


def adjust_priority(base: Priority, signals: UrgencySignals) -> tuple[Priority, list[str]]:
    """One level up per signal, but never to critical on signals alone.

    Critical sends a case to the expert desk with a five-minute target; it is
    kept for travel emergencies (the classifier's cues) and for tickets
    reopened from high, so VIPs and angry repeat writers cannot flood it.
    """
    reasons = signals.reasons()
    cap = highest(base, Priority.HIGH)
    priority = base
    for _ in reasons:
        priority = min(RAISED[priority], cap, key=_rank)
    return priority, reasons


# ---------------------------------------------------------------- queues

EXPERT_QUEUE = "expert"
GENERAL_QUEUE = "general"
TRIAGE_QUEUE = "triage"
RESERVED_QUEUES = frozenset({EXPERT_QUEUE, GENERAL_QUEUE, TRIAGE_QUEUE})
DEFAULT_TRIAGE_THRESHOLD = 0.5
"""Below this calibrated category probability a case goes to the triage queue ("needs a
human look") instead of a team; a tenant sets its own in its routing policy."""


class QueueDef(BaseModel):
    """A queue: the categories it takes (none: a catch-all desk) and who may work it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    categories: tuple[str, ...] = ()
    expert_only: bool = False


DEFAULT_QUEUES: tuple[QueueDef, ...] = (
    QueueDef(
        id="booking",
        name="Booking & changes",
        categories=("booking_failure", "change_rebook", "cancel_refund"),
    ),
    QueueDef(id="disruption", name="Disruption desk", categories=("flight_disruption", "baggage")),
    QueueDef(
        id="hotel_ground", name="Hotel & ground", categories=("hotel_issue", "ground_transport")
    ),
    QueueDef(
        id="finance",
        name="Finance: invoices, reimbursement, billing",
        categories=("invoice", "reimbursement", "billing"),
    ),
    QueueDef(
        id="accounts",
        name="Accounts & approvals",
        categories=("account_access", "approval", "policy_question"),
    ),
    QueueDef(id="complaints", name="Complaints", categories=(COMPLAINT,), expert_only=True),
    QueueDef(id=EXPERT_QUEUE, name="Expert desk: critical cases and appeals", expert_only=True),
    QueueDef(id=GENERAL_QUEUE, name="General desk"),
    QueueDef(id=TRIAGE_QUEUE, name="Triage: needs a human look"),
)


def catalogue(tenant_queues: Iterable[QueueDef]) -> dict[str, QueueDef]:
    """The tenant's queues, then the defaults they do not redefine (lookup order matters)."""
    queues = {q.id: q for q in tenant_queues}
    for default in DEFAULT_QUEUES:
        queues.setdefault(default.id, default)
    return queues


class Rule(StrEnum):
    """Why a case went to its queue (``TicketRouted.rule``)."""

    APPEAL = "appeal"
    CRITICAL = "critical"
    COMPLAINT = "complaint"
    CATEGORY = "category"
    LOW_CONFIDENCE = "low-confidence"
    RECATEGORISED = "recategorised"
    URGENCY_RAISED = "urgency-raised"
    SLA_ESCALATED = "sla-escalated"
    DISPATCHED = "dispatched"
    """A waiting case pushed to an agent who freed capacity (``assignment.dispatch``)."""


def select_queue(
    triage: TriageView | None,
    priority: Priority,
    queues: Mapping[str, QueueDef],
    *,
    appeal: AppealLevel | None = None,
    threshold: float = DEFAULT_TRIAGE_THRESHOLD,
) -> tuple[QueueDef, Rule]:
    """Appeals and critical cases to the expert desk; otherwise the category's family queue.

    A complaint goes to the complaints queue (experts only); a case whose category the
    classifier is less sure of than the tenant's ``threshold`` goes to the triage queue
    to be sorted by a person; a confident ``other`` to the general desk.
    """
    if appeal is not None:
        return queues[EXPERT_QUEUE], Rule.APPEAL
    if priority is Priority.CRITICAL:
        return queues[EXPERT_QUEUE], Rule.CRITICAL
    if triage is None:
        return queues[TRIAGE_QUEUE], Rule.LOW_CONFIDENCE
    if triage.category != COMPLAINT and triage.category_confidence < threshold:
        return queues[TRIAGE_QUEUE], Rule.LOW_CONFIDENCE
    if triage.category == UNSURE_CATEGORY:
        return queues[GENERAL_QUEUE], Rule.CATEGORY
    family = family_queue(triage.category, queues)
    rule = Rule.COMPLAINT if triage.category == COMPLAINT else Rule.CATEGORY
    return family or queues[GENERAL_QUEUE], rule


def family_queue(category: str, queues: Mapping[str, QueueDef]) -> QueueDef | None:
    return next((q for q in queues.values() if category in q.categories), None)


class TenantQueue(Aggregate):
    """A queue a tenant defined or redefined (``/v1/queues``)."""

    queue_id: str
    name: str
    categories: list[str] = Field(default_factory=list)
    expert_only: bool = False

    @staticmethod
    def key(tenant_id: str, queue_id: str) -> str:
        return f"{tenant_id}:{queue_id}"

    def definition(self) -> QueueDef:
        return QueueDef(
            id=self.queue_id,
            name=self.name,
            categories=tuple(self.categories),
            expert_only=self.expert_only,
        )


class AssignmentMode(StrEnum):
    """How a ticket picks among the free agents able to take it (a tenant setting)."""

    LEAST_LOADED = "least_loaded"
    """The lowest share of capacity in use; ties to whoever waited longest."""
    ROUND_ROBIN = "round_robin"
    """Whoever waited longest since their last assignment, whatever their load."""


class RoutingPolicy(Aggregate):
    """A tenant's routing settings: VIP status, who serves VIPs and appeals, the bot."""

    vip: bool = False
    """The whole tenant is a VIP account: every case one level more urgent."""
    vip_travellers: list[str] = Field(default_factory=list)
    account_manager: str | None = None
    """The tenant's dedicated account manager: preferred for its VIP travellers."""
    support_manager: str | None = None
    """Reviews second appeals."""
    bot_enabled: bool = True
    assignment: AssignmentMode = AssignmentMode.LEAST_LOADED
    triage_threshold: float = Field(default=DEFAULT_TRIAGE_THRESHOLD, ge=0.0, le=1.0)
    """Below this category confidence a case waits in the triage queue for a human look."""

    @classmethod
    def default(cls, tenant_id: str) -> RoutingPolicy:
        return cls(id=tenant_id, tenant_id=tenant_id)

    def vip_reason(self, traveller_id: str | None) -> str | None:
        if traveller_id in self.vip_travellers:
            return "VIP traveller"
        return "VIP tenant" if self.vip else None

    def account_manager_for(self, traveller_id: str | None) -> str | None:
        return self.account_manager if traveller_id in self.vip_travellers else None


# ---------------------------------------------------------------- agents


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Agent(Aggregate):
    """An agent's skills, capacity and presence in one tenant, and the tickets they hold.

    ``tickets`` is the reservation that enforces capacity: an assignment is a
    versioned write of this document before the case is saved, so two
    consumers cannot both take an agent's last free slot.
    """

    agent_id: str
    name: str | None = None
    categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    capacity: int = Field(default=5, ge=0)
    expert: bool = False
    senior: bool = False
    """Takes the first escalation of a breached SLA in the queues they work (docs/sla.md)."""
    manager: str | None = None
    """Their team lead: told when a ticket they hold breaches (else the support manager)."""
    presence: Presence = Presence.OFFLINE
    tickets: list[str] = Field(default_factory=list)
    last_assigned_at: datetime | None = None

    @staticmethod
    def key(tenant_id: str, agent_id: str) -> str:
        return f"{tenant_id}:{agent_id}"

    @property
    def load(self) -> int:
        return len(self.tickets)

    def holds(self, ticket_id: str) -> bool:
        return ticket_id in self.tickets

    def unavailable(self) -> str | None:
        """Why this agent cannot take one more ticket now, if they cannot."""
        if self.presence is not Presence.ONLINE:
            return self.presence.value
        if self.load >= self.capacity:
            return f"at capacity {self.load}/{self.capacity}"
        return None

    def unqualified(
        self, queue: QueueDef, category: str | None, language: str | None
    ) -> str | None:
        """Why this agent may not take this case, if they may not."""
        if why := self.unavailable():
            return why
        if queue.expert_only and not self.expert:
            return "not an expert"
        if language and language not in self.languages:
            return f"no {language}"
        if queue.categories and category not in self.categories:
            return f"no {category} skill"
        return None

    def take(self, ticket_id: str, now: datetime) -> None:
        """Hold the ticket (idempotent). Transfers use it beyond capacity: an agent decided."""
        if ticket_id not in self.tickets:
            self.tickets.append(ticket_id)
            self.last_assigned_at = now

    def release(self, ticket_id: str) -> None:
        if ticket_id in self.tickets:
            self.tickets.remove(ticket_id)


@dataclass(frozen=True)
class Assignment:
    assignee: str | None
    note: str
    agent: Agent | None = None
    """Whose capacity the assignment takes; None when the assignee is kept or named by policy."""


_NEVER = datetime.min.replace(tzinfo=UTC)


def choose_agent(
    agents: Sequence[Agent],
    *,
    tenant_id: str,
    ticket_id: str,
    queue: QueueDef,
    category: str | None,
    language: str | None,
    account_manager: str | None = None,
    mode: AssignmentMode = AssignmentMode.LEAST_LOADED,
) -> Assignment:
    """The least-loaded (or, round robin, the longest-waiting) qualified agent of this
    tenant who is online with a free slot.

    Load is the share of capacity in use; ties go to the fewest tickets, then to
    whoever has waited longest since their last assignment. An agent who
    already holds the ticket (a redelivered message) keeps it. A VIP's account
    manager is preferred whenever they are online with room and speak the
    language, whatever the category.
    """
    own = [a for a in agents if a.tenant_id == tenant_id]
    holder = next((a for a in own if a.holds(ticket_id)), None)
    if holder is not None:
        return Assignment(holder.agent_id, f"{holder.agent_id} already holds it", holder)
    if account_manager is not None:
        manager = next((a for a in own if a.agent_id == account_manager), None)
        why = "not registered" if manager is None else manager.unavailable()
        if manager is not None and why is None and language and language not in manager.languages:
            why = f"no {language}"
        if manager is not None and why is None:
            note = f"{manager.agent_id}: the VIP's account manager"
            return Assignment(manager.agent_id, note, manager)
        skipped = f"account manager {account_manager} {why}; "
    else:
        skipped = ""
    refusals = {a.agent_id: a.unqualified(queue, category, language) for a in own}
    qualified = [a for a in own if refusals[a.agent_id] is None]
    if not qualified:
        shown = "; ".join(f"{k} {v}" for k, v in sorted(refusals.items())[:4])
        detail = f" ({shown})" if shown else ""
        return Assignment(None, f"{skipped}no qualified agent available{detail}: left in queue")
    best = pick_agent(qualified, mode)
    how = "least loaded" if mode is AssignmentMode.LEAST_LOADED else "next in turn"
    return Assignment(
        best.agent_id,
        f"{skipped}{best.agent_id}: {how} of {len(qualified)} qualified "
        f"({best.load}/{best.capacity})",
        best,
    )


def pick_agent(able: Sequence[Agent], mode: AssignmentMode) -> Agent:
    """Of agents who may all take a ticket, the one the tenant's assignment mode prefers."""
    if mode is AssignmentMode.ROUND_ROBIN:
        return min(able, key=lambda a: (a.last_assigned_at or _NEVER, a.agent_id))
    return min(
        able,
        key=lambda a: (a.load / a.capacity, a.load, a.last_assigned_at or _NEVER, a.agent_id),
    )


# ---------------------------------------------------------------- the bot

ANSWER_LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")
COMPLAINT_SUSPICION = 0.2
"""A complaint this probable among the top categories already keeps the bot out."""
BOT_CATEGORY_CONFIDENCE = 0.6
ACTION_CATEGORIES = frozenset({"change_rebook", "cancel_refund"})
"""Where a named booking means "do it for me", which an article cannot."""


@dataclass(frozen=True)
class KbMatch:
    """A knowledge-base article and how similar the contact is to it."""

    article_id: str
    categories: frozenset[str]
    score: float
    answers: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Language → (title, answer text)."""


def answer_language(tag: str | None) -> str | None:
    """A language tag (``zh-TW``, ``ja-JP``, ``en-GB``…) as one the articles are written in."""
    if not tag:
        return None
    lowered = tag.lower()
    if lowered.startswith("zh"):
        traditional = any(m in lowered for m in ("hant", "tw", "hk", "mo"))
        return "zh-Hant" if traditional else "zh-Hans"
    for language in ("en", "ja"):
        if lowered.split("-")[0] == language:
            return language
    return None


def bot_refusal(
    triage: TriageView | None,
    priority: Priority,
    *,
    bot_enabled: bool,
    human_only: str | None,
    names_booking: bool,
    answerable: frozenset[str],
) -> str | None:
    """Why the bot must leave this case to a human, or None if it may look for an answer.

    Checked before any embedding is computed, so most cases cost nothing.
    """
    if not bot_enabled:
        return "the bot is off for this tenant"
    if human_only:
        return human_only
    if triage is None:
        return "not classified"
    if priority is Priority.CRITICAL or triage.urgency == "critical":
        return "critical: never auto-answered"
    if triage.category == COMPLAINT or triage.probability(COMPLAINT) >= COMPLAINT_SUSPICION:
        return "complaint: never auto-answered"
    if triage.sentiment == "negative":
        return "negative sentiment: a person answers"
    if triage.category not in answerable:
        return f"no article covers {triage.category}"
    if triage.category_confidence < BOT_CATEGORY_CONFIDENCE:
        return f"category unsure ({triage.category_confidence:.2f})"
    if names_booking and triage.category in ACTION_CATEGORIES:
        return "names a booking to change or cancel: an agent acts on it"
    return None


@dataclass(frozen=True)
class BotDecision:
    answer: bool
    why: str
    match: KbMatch | None = None
    language: str | None = None


def decide_bot(
    refusal: str | None,
    match: KbMatch | None,
    *,
    threshold: float,
    languages: Sequence[str | None],
) -> BotDecision:
    """Answer only when nothing refuses and the best article clears the calibrated threshold.

    The answer is in the first of ``languages`` (the traveller's preference,
    then the contact's) that the article is written in.
    """
    if refusal:
        return BotDecision(False, refusal)
    if match is None:
        return BotDecision(False, "no article matched")
    if match.score < threshold:
        return BotDecision(
            False,
            f"best article {match.article_id} scored {match.score:.3f}, "
            f"under the {threshold:.3f} threshold",
            match,
        )
    wanted = [code for code in (answer_language(t) for t in languages) if code]
    language = next((code for code in wanted if code in match.answers), None)
    if language is None:
        return BotDecision(False, f"article {match.article_id} is not written in {wanted}", match)
    return BotDecision(
        True,
        f"article {match.article_id} scored {match.score:.3f} ≥ {threshold:.3f}",
        match,
        language,
    )


# ---------------------------------------------------------------- learning from agents


class Correction(BaseModel):
    """An agent's fix of the classifier's category, kept to retrain the triage model."""

    id: str = Field(alias="_id")
    tenant_id: str
    ticket_id: str
    text: str
    language: str
    category: str
    predicted: str
    urgency: str
    sentiment: str
    kind: str = Field(description="transfer or recategorised")
    by: str
    from_queue: str | None = None
    to_queue: str | None = None
    at: datetime

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)


def corrected_category(
    predicted: str,
    to_queue: str | None,
    queues: Mapping[str, QueueDef],
    probabilities: Mapping[str, float],
) -> str | None:
    """The category a transfer to ``to_queue`` implies, when it implies one.

    A transfer to a catch-all desk, or to a queue that takes the predicted
    category, says nothing about the category. Otherwise the agent chose the
    family and the model picks within it: the new queue's category the model
    finds most likely for the text.
    """
    queue = queues.get(to_queue or "")
    if queue is None or not queue.categories or predicted in queue.categories:
        return None
    return max(queue.categories, key=lambda c: probabilities.get(c, 0.0))


# ---------------------------------------------------------------- the case file


REOPENED_AFTER_BOT = "the bot's answer did not help: a person answers"


class CaseStatus(StrEnum):
    PENDING = "pending"
    """Created by an event that overtook ``ticket.opened``."""
    OPEN = "open"
    BOT_ANSWERED = "bot_answered"
    RESOLVED = "resolved"
    CLOSED = "closed"


class BotAnswer(BaseModel):
    article_id: str
    title: str
    language: str
    confidence: float
    answered_at: datetime


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
    queue: str | None = None
    assignee: str | None = None
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
    first_response_met: bool | None = None
    resolution_met: bool | None = None
    sla: CaseSla = Field(default_factory=CaseSla)
    escalation: EscalationLevel | None = None
    """How far a breached SLA has escalated the current run (docs/sla.md)."""
    managers: tuple[str | None, str | None] = (None, None)
    """The tenant's account and support manager as its policy named them when last read:
    ``ticket.routed`` carries them, so notify alerts them of critical tickets."""

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
        """Remember the contact and what the classifier read; decisions come separately."""
        self.traveller = opened.traveller
        self.channel = opened.channel
        self.text = self.contact_text(opened)
        self.names_booking = bool(opened.references)
        self.proactive = opened.proactive
        self.opened_at = opened.opened_at
        self.triage = triage
        self.base_priority = triage_priority(triage.urgency, opened.priority)
        self._score()

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
        match, language = decision.match, decision.language
        assert match is not None
        assert language is not None
        assert self.traveller is not None
        assert self.channel is not None
        title, answer = match.answers[language]
        self.status = CaseStatus.BOT_ANSWERED
        self.queue = None
        self.assignee = None
        self.rule = None
        self.bot = BotAnswer(
            article_id=match.article_id,
            title=title,
            language=language,
            confidence=match.score,
            answered_at=now,
        )
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
                article_id=match.article_id,
                title=title,
                answer=answer,
                language=language,
                confidence=round(match.score, 4),
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
    ) -> None:
        """Hand the case to a queue (and an agent, if one is free) with SLA clocks from
        ``clock_start``: fresh ones when it is a new start, else retargeted to the priority."""
        self.status = CaseStatus.OPEN
        self.priority = route.priority
        self.queue = route.queue.id
        self.assignee = route.assignment.assignee
        self.rule = route.rule
        self.bot_decision = route.bot_why or self.human_only
        if clock_start != self.clock_started_at:
            respond = tier is not Tier.NEW or self.first_response_at is None
            stopped = self.sla.start_run(
                route.sla, self.priority, tier, clock_start, respond=respond, on_trip=route.on_trip
            )
            self._clocks_stopped(stopped)
            self.escalation = None
        else:
            self.sla.retarget(self.priority)
        self.clock_started_at = clock_start
        self._publish(why + self._explain(route), now)

    def follow_up(self, followed: events.TicketFollowedUp, vip: str | None, now: datetime) -> None:
        """Count the repeat contact; an open case chased often enough goes up a level."""
        self.traveller = self.traveller or followed.traveller
        self.repeat_contacts = max(self.repeat_contacts, followed.repeat_contacts)
        if self.status is not CaseStatus.OPEN or self.queue is None:
            return
        self.sla.traveller_wrote(self.priority, followed.received_at)
        adjusted, reasons = adjust_priority(self.base_priority, self.signals(vip))
        if _rank(adjusted) <= _rank(self.priority):
            return
        self.priority = adjusted
        self.sla.retarget(adjusted)
        self.rule = Rule.URGENCY_RAISED
        self._publish(f"priority raised to {adjusted.value}: {', '.join(reasons)}", now)

    def reopened_priority(self, reopened: events.TicketReopened) -> Priority:
        """One level above what it was, or intake's raised priority if that is higher."""
        return highest(RAISED[self.priority], reopened.priority)

    def reopen(self, reopened: events.TicketReopened, route: Route, now: datetime) -> None:
        """Back to a human with raised priority and fresh targets from the reopen time.

        A reopened ticket is never answered by the bot again.
        """
        self.traveller = reopened.traveller
        if self.human_only is None:
            self.human_only = REOPENED_AFTER_BOT if self.bot else "reopened: a person answers"
        self.resolved_at = None
        self.resolution_met = None
        tier = Tier.APPEAL if reopened.appeal_level else Tier.REOPENED
        why = f"reopened ({reopened.reason}); "
        self.route(route, reopened.reopened_at, now, why=why, tier=tier)

    def recategorise(self, category: str, route: Route, *, by: str, now: datetime) -> None:
        """An agent set the category; the route was decided by it."""
        assert self.triage is not None
        self.triage = self.triage.model_copy(
            update={"category": category, "category_confidence": 1.0}
        )
        self.route(route, self.clock_started_at or now, now, why=f"re-categorised by {by}; ")

    def transfer(self, transferred: events.TicketTransferred) -> None:
        """An agent moved the ticket: keep the case file in step with intake."""
        self.queue = transferred.to_queue
        self.assignee = transferred.to_assignee

    def resolve(self, resolved: events.TicketResolved) -> None:
        self.status = CaseStatus.RESOLVED
        self.traveller = resolved.traveller
        self.opened_at = self.opened_at or resolved.opened_at
        self.first_response_at = resolved.first_response_at
        self.resolved_at = resolved.resolved_at
        self.assignee = None
        self._score()
        self._clocks_stopped(self.sla.responded(resolved.first_response_at))
        self._clocks_stopped(self.sla.stop_all(resolved.resolved_at))

    def close(self, changed: events.TicketStatusChanged) -> None:
        self.status = CaseStatus.CLOSED
        self.assignee = None
        self.resolved_at = self.resolved_at or changed.changed_at
        self._clocks_stopped(self.sla.stop_all(changed.changed_at))

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
        self.raise_event(
            events.SlaWarning(
                ticket_id=self.id,
                clock=clock,
                priority=self.priority,
                category=self.triage.category if self.triage else None,
                queue=self.queue,
                assignee=self.assignee,
                deadline=run.deadline,
                target_seconds=run.target_s,
                warned_at=now,
            )
        )

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
            events.SlaBreached(
                ticket_id=self.id,
                clock=clock,
                priority=self.priority,
                previous_priority=previous_priority,
                category=self.triage.category if self.triage else None,
                queue=self.queue,
                assignee=self.assignee,
                previous_assignee=previous_assignee,
                level=step.level,
                account_manager=step.account_manager,
                support_manager=step.support_manager,
                manager=step.manager,
                deadline=run.deadline,
                breached_at=now,
            )
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
        """Publish each clock that ended, met or not: feedback's SLA attainment."""
        for run in runs:
            assert run.stopped_at is not None
            assert run.met is not None
            if run.clock is SlaClock.FIRST_RESPONSE:
                self.first_response_met = run.met
            elif run.clock is SlaClock.RESOLUTION:
                self.resolution_met = run.met
            self.raise_event(
                events.SlaClockStopped(
                    ticket_id=self.id,
                    clock=run.clock,
                    priority=self.priority,
                    category=self.triage.category if self.triage else None,
                    met=run.met,
                    target_seconds=run.target_s,
                    elapsed_seconds=round(run.elapsed_s or 0.0),
                    started_at=run.started_at,
                    stopped_at=run.stopped_at,
                )
            )

    def _publish(self, reason: str, now: datetime) -> None:
        assert self.traveller is not None
        assert self.clock_started_at is not None
        self.first_response_due = (
            self.sla.due(SlaClock.FIRST_RESPONSE)
            or self.first_response_due
            or self.clock_started_at
        )
        self.resolution_due = (
            self.sla.due(SlaClock.RESOLUTION) or self.resolution_due or self.clock_started_at
        )
        self.reason = reason
        triage = self.triage
        self.raise_event(
            events.TicketRouted(
                ticket_id=self.id,
                traveller=self.traveller,
                queue=self.queue or GENERAL_QUEUE,
                assignee=self.assignee,
                category=triage.category if triage else None,
                priority=self.priority,
                first_response_due=self.first_response_due,
                resolution_due=self.resolution_due,
                reason=reason,
                routed_at=now,
                language=triage.language if triage else None,
                urgency=triage.urgency if triage else None,
                sentiment=triage.sentiment if triage else None,
                top_categories=triage.top_categories if triage else [],
                category_confidence=triage.category_confidence if triage else None,
                urgency_confidence=triage.urgency_confidence if triage else None,
                sentiment_confidence=triage.sentiment_confidence if triage else None,
                language_confidence=triage.language_confidence if triage else None,
                rule=self.rule.value if self.rule else None,
                bot_decision=self.bot_decision,
                proactive=self.proactive,
                account_manager=self.managers[0],
                support_manager=self.managers[1],
            )
        )

    def _explain(self, route: Route) -> str:
        """The decision in one line for the timeline: category, queue and rule, priority,
        agent, and why the bot did not answer."""
        triage = self.triage
        priority = f"priority {route.priority.value}"
        if route.priority_note:
            priority += f" ({route.priority_note})"
        parts = [
            f"category {triage.summary()}" if triage else "not classified",
            f"queue {route.queue.id} by rule {route.rule.value}",
            priority,
            route.assignment.note,
        ]
        if route.bot_why:
            parts.append(f"bot: {route.bot_why}")
        return "; ".join(parts)

    def _score(self) -> None:
        """Whether the SLA targets were met, once both ends of a clock are known."""
        if self.first_response_at and self.first_response_due:
            self.first_response_met = self.first_response_at <= self.first_response_due
        if self.resolved_at and self.resolution_due:
            self.resolution_met = self.resolved_at <= self.resolution_due
