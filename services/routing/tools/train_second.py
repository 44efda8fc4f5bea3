"""Train the triage model's second stage: a logistic regression on E5 query embeddings.

Fitted on the training pool's real text, hand-written messages and agents' corrections
(templates and the public sets are left out: the second stage is for the text the
first stage, trained mostly on templates, reads worst), weighted as the first stage
weights them (hand-written 10, corrections 3, the rest 1). The threshold ``BELOW``
under which it reads a text was chosen by ``data/routing/cross_validate.py`` on
training data, never on the evaluation set. Its averaged output is recalibrated by a
temperature fitted on the calibration pool's messages that reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from services.routing.tools.e5_cache import E5Cache
from services.routing.tools.triage_data import Row, source_kind
from services.routing.triage.calibration import fit_temperature
from services.routing.triage.model import TriageModel
from services.routing.triage.second_stage import average

SOURCES = frozenset({"real", "hand-written", "corrections"})
WEIGHTS = {"hand-written": 10.0, "corrections": 3.0}
C = 10.0
"""Inverse regularisation of the logistic regression (embeddings are unit vectors): of 1, 10
and 100 the best in cross-validation, for every threshold (docs/routing.md)."""
BELOW = 0.7
"""First-stage category confidence under which the second stage reads a text: of 0.4–0.7,
the one with the best 5-fold cross-validated category accuracy over all languages
(``data/routing/cross_validate.py``; docs/routing.md). Higher thresholds were not
candidates: they send a fifth and more of the texts to e5, whose own tail (p95 ≈ 39 ms
quiet, more under load) would then be a contact's p99."""
SEED = 20241125


def learnt_from(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if source_kind(r) in SOURCES]


def fit_head(rows: Sequence[Row], cache: E5Cache, c: float = C) -> dict[str, Any]:
    """The e5 category head, uncalibrated, without a threshold."""
    chosen = learnt_from(rows)
    weights = np.asarray([WEIGHTS.get(source_kind(r), 1.0) for r in chosen])
    regression = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    regression.fit(
        cache.vectors([r["text"] for r in chosen]),
        np.asarray([r["category"] for r in chosen]),
        sample_weight=weights / weights.mean(),
    )
    return {
        "classes": [str(k) for k in regression.classes_],
        "coef": regression.coef_.astype(np.float32),
        "intercept": regression.intercept_.astype(np.float32),
        "rows": len(chosen),
        "C": c,
    }


def unsure(model: TriageModel, rows: Sequence[Row]) -> tuple[list[Row], NDArray[np.float64]]:
    """The rows the second stage would read, and their first-stage category probabilities."""
    picked, first = [], []
    for row in rows:
        read = model.first_read(row["text"])
        if model.needs_embedding(read):
            picked.append(row)
            first.append(read.probabilities["category"])
    return picked, np.asarray(first, dtype=np.float64).reshape(len(picked), -1)


def add_second_stage(
    artifact: dict[str, Any],
    train: Sequence[Row],
    calib: Sequence[Row],
    cache: E5Cache,
    below: float = BELOW,
    calib_weights: NDArray[np.float64] | None = None,
) -> dict[str, Any]:
    """The calibrated first-stage artifact with its second stage added and calibrated."""
    head = fit_head(train, cache) | {"below": below, "temperature": 1.0}
    artifact["second_stage"] = head
    model = TriageModel(artifact)
    stage = model.second_stage
    assert stage is not None
    index = {id(r): i for i, r in enumerate(calib)}
    rows, first = unsure(model, calib)
    if rows:
        averaged = average(first, stage.e5_probabilities(cache.vectors([r["text"] for r in rows])))
        truth = np.asarray([stage.classes.index(r["category"]) for r in rows], dtype=np.intp)
        weights = None if calib_weights is None else calib_weights[[index[id(r)] for r in rows]]
        head["temperature"] = fit_temperature(np.log(averaged), truth, weights)
    head["calibrated_on"] = len(rows)
    return artifact
