"""Train the triage model's second stage: a logistic regression on E5 query embeddings.

A category head and a sentiment head, fitted on the training pool's real text,
hand-written messages and agents' corrections (templates and the public sets are left
out: the second stage is for the text the first stage, trained mostly on templates,
reads worst), weighted as the first stage weights them (hand-written 10, corrections 3,
the rest 1). The threshold ``BELOW``
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
from services.routing.triage.model import FirstRead, TriageModel
from services.routing.triage.second_stage import average

FIELDS = ("sentiment",)
"""Fields besides the category with an e5 head, averaged in for the texts the category's
second stage reads (gated by the category: no embedding of their own). Urgency has none:
by cross-validation it gained 0.4 point overall and lost 0.4 in English."""
HAND_LABELLED_ONLY = frozenset({"sentiment"})
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


def fit_head(
    rows: Sequence[Row], cache: E5Cache, c: float = C, field: str = "category"
) -> dict[str, Any]:
    """One field's e5 head, uncalibrated, without a threshold. Sentiment learns from
    hand-labelled rows only: the mapped sets' "neutral" is a default, not a label."""
    chosen = [
        r for r in learnt_from(rows) if field not in HAND_LABELLED_ONLY or r.get("labels") == "hand"
    ]
    weights = np.asarray([WEIGHTS.get(source_kind(r), 1.0) for r in chosen])
    regression = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    regression.fit(
        cache.vectors([r["text"] for r in chosen]),
        np.asarray([r[field] for r in chosen]),
        sample_weight=weights / weights.mean(),
    )
    return {
        "classes": [str(k) for k in regression.classes_],
        "coef": regression.coef_.astype(np.float32),
        "intercept": regression.intercept_.astype(np.float32),
        "rows": len(chosen),
        "C": c,
    }


def unsure(model: TriageModel, rows: Sequence[Row]) -> list[tuple[Row, FirstRead]]:
    """The rows the second stage would read, with the first stage's reading of each."""
    reads = ((row, model.first_read(row["text"])) for row in rows)
    return [(row, read) for row, read in reads if model.needs_embedding(read)]


def add_second_stage(
    artifact: dict[str, Any],
    train: Sequence[Row],
    calib: Sequence[Row],
    cache: E5Cache,
    below: float = BELOW,
    calib_weights: NDArray[np.float64] | None = None,
) -> dict[str, Any]:
    """The calibrated first-stage artifact with its second stage added and calibrated: each
    field's averaged output gets its temperature from the calibration pool's rows that
    take the second stage (sentiment: the hand-labelled ones)."""
    head = fit_head(train, cache) | {"below": below, "temperature": 1.0}
    head["fields"] = {f: fit_head(train, cache, field=f) | {"temperature": 1.0} for f in FIELDS}
    artifact["second_stage"] = head
    model = TriageModel(artifact)
    taken = unsure(model, calib)
    weights = np.ones(len(calib)) if calib_weights is None else calib_weights
    index = {id(r): i for i, r in enumerate(calib)}
    stages = {"category": model.second_stage, **model.second_fields}
    entries = {"category": head, **head["fields"]}
    for name, stage in stages.items():
        assert stage is not None
        rows = [
            (r, read)
            for r, read in taken
            if name not in HAND_LABELLED_ONLY or r.get("labels") == "hand"
        ]
        entries[name]["calibrated_on"] = len(rows)
        if not rows:
            continue
        first = np.asarray([read.probabilities[name] for _, read in rows])
        e5 = stage.e5_probabilities(cache.vectors([r["text"] for r, _ in rows]))
        truth = np.asarray([stage.classes.index(r[name]) for r, _ in rows], dtype=np.intp)
        entries[name]["temperature"] = fit_temperature(
            np.log(average(first, e5)), truth, weights[[index[id(r)] for r, _ in rows]]
        )
    return artifact
