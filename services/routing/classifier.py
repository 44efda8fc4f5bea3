"""The triage model as routing's use cases call it: loaded and warmed once, and its answer
kept on the case file as a ``TriageView``."""

from __future__ import annotations

from contracts.events import CategoryConfidence
from services.routing.domain.triage_view import TriageView
from services.routing.triage.model import Triage, TriageModel, default_model


def triage_view(triage: Triage) -> TriageView:
    return TriageView(
        language=triage.lang,
        category=triage.category,
        category_confidence=round(triage.category_confidence, 4),
        urgency=triage.urgency,
        urgency_confidence=round(triage.urgency_confidence, 4),
        sentiment=triage.sentiment,
        sentiment_confidence=round(triage.sentiment_confidence, 4),
        language_confidence=round(triage.lang_confidence, 4),
        top_categories=[
            CategoryConfidence(category=c.category, confidence=round(c.probability, 4))
            for c in triage.top_categories
        ],
        model_version=triage.model_version,
    )


def warm_model() -> TriageModel:
    model = default_model()
    model.classify("warm up: 你好 こんにちは")  # builds the vectorizer's caches once
    return model
