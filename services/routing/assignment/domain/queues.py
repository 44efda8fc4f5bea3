"""Queues: the defaults, a tenant's own, and which queue a case goes to (and by which rule).
Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import AppealLevel, Priority
from runtime.aggregate import Aggregate
from services.routing.domain.triage_view import COMPLAINT, UNSURE_CATEGORY, TriageView

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

DEFAULT_QUEUE_IDS = frozenset(q.id for q in DEFAULT_QUEUES)


def catalogue(tenant_queues: Iterable[QueueDef]) -> dict[str, QueueDef]:
    """The tenant's queues, then the defaults they do not redefine (lookup order matters)."""
    queues = {q.id: q for q in tenant_queues}
    for default in DEFAULT_QUEUES:
        queues.setdefault(default.id, default)
    return queues


def category_holder(
    tenant_queues: Iterable[QueueDef], queue_id: str, categories: Iterable[str]
) -> tuple[str, str] | None:
    """A category of ``categories`` another of the tenant's own queues already takes, and
    that queue's id. Two tenant queues claiming one category would leave the tickets to
    whichever is listed first; a tenant queue taking a default queue's category is how a
    tenant customises routing, so the defaults are not counted."""
    wanted = set(categories)
    for queue in tenant_queues:
        if queue.id == queue_id:
            continue
        for category in queue.categories:
            if category in wanted:
                return category, queue.id
    return None


def claim_holder(
    holders: Mapping[str, str], queue_id: str, categories: Iterable[str]
) -> tuple[str, str] | None:
    """A category of ``categories`` the tenant's claims (category → queue) give to another
    queue, and that queue: the claims are what keeps two PUTs at once from both taking it."""
    return next(((c, holders[c]) for c in categories if holders.get(c, queue_id) != queue_id), None)


def claimed(holders: Mapping[str, str], queue_id: str, categories: Iterable[str]) -> dict[str, str]:
    """The claims once ``queue_id`` takes ``categories`` and lets go of the others it had."""
    return {c: q for c, q in holders.items() if q != queue_id} | dict.fromkeys(categories, queue_id)


class PendingQueue(BaseModel):
    """The definition a queue PUT claimed its categories for, kept with the claim: if the
    PUT dies before its queue write, the next claim writes the queue from it, so a claim
    never outlives its request as a category held by a queue nobody can see."""

    version: int
    """The claims version the PUT's claim made, which its queue is written under."""
    name: str
    categories: list[str] = Field(default_factory=list)
    expert_only: bool = False

    def write_to(self, queue: TenantQueue) -> None:
        """Set ``queue`` to this definition unless a later claim's definition is written."""
        if queue.claims_version > self.version:
            return
        queue.name = self.name
        queue.categories = list(self.categories)
        queue.expert_only = self.expert_only
        queue.claims_version = self.version


class QueueClaims(BaseModel):
    """A tenant's category → queue claims (``queue_claims``), the definitions of the PUTs
    that made them, and the version their conditional writes go by (0: none written)."""

    holders: dict[str, str] = Field(default_factory=dict)
    pending: dict[str, PendingQueue] = Field(default_factory=dict)
    version: int = 0

    def unfinished(self, queues: Iterable[TenantQueue], queue_id: str) -> dict[str, PendingQueue]:
        """The other queues whose PUT claimed but whose queue is not written under the claim
        (missing, or older): those the claim of ``queue_id`` writes first."""
        written = {q.queue_id: q.claims_version for q in queues}
        return {
            q: p
            for q, p in self.pending.items()
            if q != queue_id and written.get(q, -1) < p.version
        }

    def claim(self, queue_id: str, pending: PendingQueue | None) -> QueueClaims:
        """The claims once ``queue_id`` takes the categories of ``pending`` (None: lets go of
        its own), to be written after the other queues' unfinished PUTs were written."""
        categories = pending.categories if pending is not None else []
        return QueueClaims(
            holders=claimed(self.holders, queue_id, categories),
            pending={} if pending is None else {queue_id: pending},
            version=self.version + 1,
        )


class Rule(StrEnum):
    """Why a case went to its queue (``TicketRouted.rule``)."""

    APPEAL = "appeal"
    CRITICAL = "critical"
    COMPLAINT = "complaint"
    CATEGORY = "category"
    LOW_CONFIDENCE = "low-confidence"
    RECATEGORISED = "recategorised"
    RECATEGORISED_IN_PLACE = "recategorised-in-place"
    """An agent set the category and the case stays in its queue with its agent: only the
    category (and so the timeline's) changed, nobody is told of a move that did not happen."""
    TRANSFERRED = "transferred"
    """An agent's transfer to a queue of another family set the category it implies: intake
    takes the category alone (the transfer placed the ticket), and nobody is told."""
    URGENCY_RAISED = "urgency-raised"
    SLA_ESCALATED = "sla-escalated"
    SLA_RESUMED = "sla-resumed"
    """A wait ended and moved the running deadlines: only intake's copy of them changes."""
    DISPATCHED = "dispatched"
    """A waiting case pushed to an agent who freed capacity (``assignment.dispatch``)."""
    TAKEN_OVER = "taken-over"
    """A bot-answered case an agent answered (theirs, in its family queue) or transferred (in
    the transfer's queue, with its agent): a person has it (``takeover``)."""
    REOPENED = "reopened"
    """A reopened ticket back in the queue that last handled it (wherever a transfer put it),
    with its last agent when they are free to take it."""


def select_queue(
    triage: TriageView | None,
    priority: Priority,
    queues: Mapping[str, QueueDef],
    *,
    appeal: AppealLevel | None = None,
    threshold: float = DEFAULT_TRIAGE_THRESHOLD,
    last_queue: str | None = None,
) -> tuple[QueueDef, Rule]:
    """Appeals and critical cases to the expert desk; a reopened ticket back to
    ``last_queue``, the queue that last handled it (if the tenant still has it); otherwise
    the category's family queue.

    A complaint goes to the complaints queue (experts only); a case whose category the
    classifier is less sure of than the tenant's ``threshold`` goes to the triage queue
    to be sorted by a person; a confident ``other`` to the general desk.
    """
    if appeal is not None:
        return queues[EXPERT_QUEUE], Rule.APPEAL
    if priority is Priority.CRITICAL:
        return queues[EXPERT_QUEUE], Rule.CRITICAL
    if last_queue is not None and last_queue in queues:
        return queues[last_queue], Rule.REOPENED
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


def standing_queue(
    queue_id: str | None, category: str | None, queues: Mapping[str, QueueDef]
) -> QueueDef:
    """The queue a case stands in, for who may take it. A queue the tenant has deleted
    since (``DELETE /v1/queues/{id}``) is read as the category's family queue, its skill
    and expert-only rule, not as the general desk, which asks no skill: an invoice left
    in a deleted invoices desk went to whoever had room."""
    if queue_id is not None and queue_id in queues:
        return queues[queue_id]
    family = family_queue(category, queues) if category is not None else None
    return family or queues[GENERAL_QUEUE]


class TenantQueue(Aggregate):
    """A queue a tenant defined or redefined (``/v1/queues``)."""

    queue_id: str
    name: str
    categories: list[str] = Field(default_factory=list)
    expert_only: bool = False
    claims_version: int = 0
    """The version of the tenant's category claims this definition was written under: of
    two PUTs of one queue, the later claim's definition is the one kept."""

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
