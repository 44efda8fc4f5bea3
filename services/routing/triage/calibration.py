"""Calibration of the triage model's confidences, and how to measure it. Pure numpy.

* ``softmax``: scores to probabilities, over the last axis (one text or a batch).
* ``fit_temperature``: the one number that scales a head's scores so that the
  softmax's log-loss on held-out text is lowest (temperature scaling, Guo et al.
  2017); it changes confidences, never which class wins.
* ``fit_platt``: a logistic map of a raw score to a probability of being right
  (for the language detector's rule-based confidence).
* ``ece``: expected calibration error, the gap between confidence and accuracy
  averaged over equal-width confidence bins weighted by how many predictions fall in
  each; ``reliability`` is the same as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

ECE_BINS = 10
BANDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)
"""Confidence bands of the confidence-vs-accuracy table."""


def softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    out: NDArray[np.float64] = exp / exp.sum(axis=-1, keepdims=True)
    return out


def log_loss(
    scores: NDArray[np.float64],
    truth: NDArray[np.intp],
    temperature: float,
    weights: NDArray[np.float64] | None = None,
) -> float:
    logits = scores * temperature
    logits = logits - logits.max(axis=1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    losses = -log_probs[np.arange(len(truth)), truth]
    return float(np.average(losses, weights=weights))


def fit_temperature(
    scores: NDArray[np.float64],
    truth: NDArray[np.intp],
    weights: NDArray[np.float64] | None = None,
) -> float:
    """The multiplier of the scores with the lowest log-loss: a grid, then a finer grid
    around its best point (deterministic, no optimiser state)."""
    grid = np.geomspace(0.05, 50.0, 200)
    losses = [log_loss(scores, truth, t, weights) for t in grid]
    best = int(np.argmin(losses))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fine = np.linspace(low, high, 41)
    return float(fine[int(np.argmin([log_loss(scores, truth, t, weights) for t in fine]))])


def fit_platt(raw: NDArray[np.float64], correct: NDArray[np.bool_]) -> tuple[float, float]:
    """``a``, ``b`` of ``p = 1 / (1 + exp(-(a * raw + b)))`` by Newton's method on the
    log-loss, with a small ridge so that an all-correct pool still gives finite values."""
    a, b = 1.0, 0.0
    y = correct.astype(np.float64)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(a * raw + b)))
        w = p * (1.0 - p) + 1e-9
        gradient = np.array([np.sum((p - y) * raw) + 1e-3 * a, np.sum(p - y) + 1e-3 * b])
        hessian = np.array(
            [
                [np.sum(w * raw * raw) + 1e-3, np.sum(w * raw)],
                [np.sum(w * raw), np.sum(w) + 1e-3],
            ]
        )
        step = np.linalg.solve(hessian, gradient)
        a, b = a - float(step[0]), b - float(step[1])
        if np.max(np.abs(step)) < 1e-8:
            break
    return a, b


def ece(confidence: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    """Expected calibration error over ``bins`` equal-width confidence bins."""
    conf = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    if len(conf) == 0:
        return 0.0
    index = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(conf[mask].mean() - right[mask].mean())
    return total / len(conf)


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    n: int
    mean_confidence: float
    accuracy: float


def reliability(confidence: Sequence[float], correct: Sequence[bool]) -> list[Band]:
    """Predictions grouped by confidence band (``BANDS``): how sure, how right."""
    conf = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=np.float64)
    out = []
    for low, high in pairwise(BANDS):
        mask = (conf >= low) & (conf < high)
        n = int(mask.sum())
        out.append(
            Band(
                low,
                min(high, 1.0),
                n,
                float(conf[mask].mean()) if n else 0.0,
                float(right[mask].mean()) if n else 0.0,
            )
        )
    return out


def precision_above(
    confidence: Sequence[float], correct: Sequence[bool], threshold: float
) -> tuple[int, float]:
    """How many predictions have at least this confidence, and the share of them right."""
    conf = np.asarray(confidence, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    mask = conf >= threshold
    n = int(mask.sum())
    return n, float(right[mask].mean()) if n else 1.0
