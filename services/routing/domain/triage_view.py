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

    def corrected(self, category: str) -> TriageView:
        """The category a person set (or chose the family of, by a transfer)."""
        return self.model_copy(update={"category": category, "category_confidence": 1.0})

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
