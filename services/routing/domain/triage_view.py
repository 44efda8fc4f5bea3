"""What the classifier read of a contact, as routing keeps it on the case file."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from contracts.events import CategoryConfidence

COMPLAINT = "service_complaint"
UNSURE_CATEGORY = "other"


class TriageView(BaseModel):
    """The classifier's answer as routing keeps it (``services.routing.triage.model.Triage``)."""

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
    second_stage: bool = False
    """The e5 second stage read it too (category and sentiment): the first was unsure."""
    set_by: str | None = None
    """Who set ``category`` instead of the classifier: the agent who set it, or
    ``transfer`` (a transfer chose its family); None while it is the classifier's."""

    def corrected(self, category: str, by: str) -> TriageView:
        """The category a person set (or chose the family of, by a transfer)."""
        update = {"category": category, "category_confidence": 1.0, "set_by": by}
        return self.model_copy(update=update)

    def probability(self, category: str) -> float:
        """The category's probability if it is among the top ones, else 0."""
        return next((c.confidence for c in self.top_categories if c.category == category), 0.0)

    def summary(self) -> str:
        """``invoice 0.97 (billing 0.02, reimbursement 0.01)``: for the timeline; a category
        a person set is no reading of the classifier, ``invoice (set by transfer)``."""
        if self.set_by is not None:
            return f"{self.category} (set by {self.set_by})"
        rest = ", ".join(
            f"{c.category} {c.confidence:.2f}"
            for c in self.top_categories
            if c.category != self.category and c.confidence >= 0.005
        )
        head = f"{self.category} {self.category_confidence:.2f}"
        return f"{head} ({rest})" if rest else head
