"""Learning from agents: a fix of the classifier's category, kept to retrain the triage model.
Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.routing.assignment.domain.queues import QueueDef
from services.routing.domain.case import RoutingCase


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


def correction_for(
    case: RoutingCase,
    category: str,
    correction_id: str,
    *,
    kind: str,
    by: str,
    at: datetime,
    to_queue: str | None = None,
) -> Correction:
    """The correction of a classified case: its text and what the classifier read of it."""
    triage = case.triage
    assert triage is not None
    return Correction(
        id=correction_id,
        tenant_id=case.tenant_id,
        ticket_id=case.id,
        text=case.text,
        language=triage.language,
        category=category,
        predicted=triage.category,
        urgency=triage.urgency,
        sentiment=triage.sentiment,
        kind=kind,
        by=by,
        from_queue=case.queue,
        to_queue=to_queue,
        at=at,
    )
