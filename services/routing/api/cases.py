"""Case files: what the classifier read, the queue, agent, priority and SLA clocks, and why;
an agent's correction of the category."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from contracts.events import CategoryConfidence, EscalationLevel, Priority, SlaClock, SlaVerdict
from contracts.taxonomy import Category
from runtime.auth import StaffScope
from runtime.errors import StrictJsonRoute
from runtime.idempotency import Answer, IdempotencyDep, IdempotencyKey, fingerprint, of_staff, once
from runtime.store import NotFound
from services.routing.api.deps import RoutingDep, StoreDep
from services.routing.assignment.domain.queues import TRIAGE_QUEUE
from services.routing.domain.case import RoutingCase
from services.routing.domain.route import case_language
from services.routing.domain.status import BotAnswer, CaseStatus
from services.routing.recategorise import NotClassified

router = APIRouter(prefix="/v1", tags=["cases"], route_class=StrictJsonRoute)


class ClockView(BaseModel):
    """One SLA clock of the current run: its deadline (none while paused or stopped)."""

    model_config = ConfigDict(from_attributes=True)

    clock: SlaClock
    target_s: int
    started_at: datetime
    deadline: datetime | None
    paused: bool
    stopped_at: datetime | None
    met: bool | None
    verdict: SlaVerdict | None = Field(
        default=None, description="met, missed, or void (closed unanswered: docs/sla.md#verdicts)."
    )
    warned: bool
    breached: bool


class CaseView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: CaseStatus
    priority: Priority
    queue: str | None
    assignee: str | None
    category: str | None = None
    category_confidence: float | None = Field(
        default=None,
        description="The classifier's calibrated probability of ``category``; null when a "
        "person set the category (``category_set_by``): nobody computed one.",
    )
    category_set_by: str | None = Field(
        default=None,
        description="Who set ``category`` instead of the classifier: the staff member who "
        "re-categorised the case, or ``transfer`` (a transfer to another family chose it).",
    )
    language: str | None = None
    language_confidence: float | None = None
    urgency: str | None = None
    urgency_confidence: float | None = None
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    top_categories: list[CategoryConfidence] = Field(default_factory=list)
    needs_human_look: bool = Field(
        default=False, description="In the triage queue: the classifier was unsure of it."
    )
    second_stage: bool = Field(
        default=False,
        description="The e5 second stage read it too (the first stage was unsure of its category).",
    )
    rule: str | None
    reason: str | None
    bot: BotAnswer | None
    bot_decision: str | None
    repeat_contacts: int
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_met: bool | None
    resolution_met: bool | None
    escalation: EscalationLevel | None = None
    clocks: list[ClockView] = Field(default_factory=list, description="SLA clocks (docs/sla.md).")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category
    keep_agent: StrictBool = Field(
        default=False,
        description="The case's agent keeps it even when the category moves it to a queue "
        "they are not skilled for (by default it then goes to a qualified agent, or waits).",
    )


def case_view(case: RoutingCase) -> CaseView:
    view = CaseView.model_validate(case)
    view.clocks = [ClockView.model_validate(run) for run in case.sla.clocks.values()]
    triage = case.triage
    if triage is None:
        return view
    language, language_confidence = case_language(case)
    return view.model_copy(
        update={
            "category": triage.category,
            "category_confidence": None if triage.set_by else triage.category_confidence,
            "category_set_by": triage.set_by,
            "language": language,
            "language_confidence": language_confidence,
            "urgency": triage.urgency,
            "urgency_confidence": triage.urgency_confidence,
            "sentiment": triage.sentiment,
            "sentiment_confidence": triage.sentiment_confidence,
            "top_categories": triage.top_categories,
            "needs_human_look": case.queue == TRIAGE_QUEUE,
            "second_stage": triage.second_stage,
        }
    )


@router.get("/cases/{ticket_id}")
async def get_case(ticket_id: str, scope: StaffScope, store: StoreDep) -> CaseView:
    """What the classifier read, the queue, agent, priority and SLA targets, and why."""
    case = await store.cases.get(scope.tenant, ticket_id)
    if case is None:
        raise NotFound(ticket_id)
    return case_view(case)


@router.post("/cases/{ticket_id}/category", response_model=CaseView)
async def recategorise(
    ticket_id: str,
    body: CategoryIn,
    scope: StaffScope,
    routing: RoutingDep,
    idempotency: IdempotencyDep,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Set the right category: kept to retrain the classifier; an open case moves to the
    category's queue (its agent stays if the queue does not change, if they are skilled for
    the new one, or with ``keep_agent``). A retry with the same ``Idempotency-Key`` gets the
    first answer and keeps no second correction."""

    async def produce() -> Answer:
        try:
            case = await routing.recategorise(
                scope.tenant, ticket_id, body.category, scope.actor, keep_agent=body.keep_agent
            )
        except NotClassified as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, "not classified yet") from exc
        return status.HTTP_200_OK, case_view(case).model_dump(mode="json")

    request = fingerprint("category", ticket_id, body.model_dump_json())
    return await once(idempotency, of_staff(scope), key, request, produce)
