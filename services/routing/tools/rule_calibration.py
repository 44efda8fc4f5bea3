"""The rubric rules' numbers, measured on the calibration pool (``triage/rules.py``).

Training calls ``calibrate_rules`` after fitting the heads; ``train --rules`` calls it
alone for the committed heads after a change to the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from services.routing.tools.triage_data import Row
from services.routing.triage import rubric as triage_rubric
from services.routing.triage.category_urgency import CATEGORY_URGENCY
from services.routing.triage.model import TriageModel, normalise
from services.routing.triage.rules import reported_disruption, thanks_turning, warm_thanks

CRITICAL_PRECISION = 0.9
"""How often a critical answer of the head's alone must be right for it to stand (it pages
a manager on a 5-minute SLA): as often as ≥ 0.9 confidences must be, by the report's bar."""


def calibrate_rules(artifact: dict[str, Any], rows: Sequence[Row]) -> dict[str, Any]:
    """Each rubric rule's number measured on held-out real text (``triage/rules.py``):
    the critical situations' precision, the confidence a critical reading of the head's
    needs, the closings' precision, warm thanks' precision (positive), thanks turning to
    a problem still open (negative), a disruption with no time named, a bare cry for help
    and a personal emergency (at least high), an entry-document question (other), each
    category's implied urgency's precision."""
    rules = artifact["rules"]
    found = [situations_of(r) for r in rows]
    rules["critical_rule"] = precision(
        [r["urgency"] == "critical" for r, s in zip(rows, found, strict=True) if "critical" in s]
    )
    head = head_critical_answers(TriageModel(artifact), rows, found)
    rules["critical_confidence"] = critical_confidence([c for c, _ in head], [r for _, r in head])
    rules["closing_rule"] = precision(
        [
            (r["category"], r["urgency"], r["sentiment"]) == ("other", "low", "neutral")
            for r, s in zip(rows, found, strict=True)
            if "closing" in s
        ]
    )
    # Sentiment rules on hand labels: a mapped row's sentiment is a default.
    hand = [
        s if r.get("labels") == "hand" else frozenset() for r, s in zip(rows, found, strict=True)
    ]
    rules["praise_rule"] = sentiment_precision(rows, hand, warm_thanks, "positive")
    rules["open_problem_rule"] = sentiment_precision(rows, hand, thanks_turning, "negative")
    rules["disruption_rule"] = at_least_high(
        rows, found, lambda s: reported_disruption(s) and "critical" not in s
    )
    rules["personal_rule"] = at_least_high(
        rows, found, lambda s: "personal" in s and "critical" not in s
    )
    rules["cry_rule"] = at_least_high(rows, found, lambda s: "cry" in s)
    rules["entry_document_rule"] = precision(
        [
            r["category"] == "other"
            for r, s in zip(rows, found, strict=True)
            if "entry_document" in s
        ]
    )
    categories = TriageModel(artifact).classify_batch([r["text"] for r in rows])
    for name, (implied, _) in CATEGORY_URGENCY.items():
        hits = [
            r["urgency"] == implied
            for r, t in zip(rows, categories, strict=True)
            if t.category == name and "critical" not in t.situations
        ]
        rules[f"{name}_rule"] = precision(hits)
    return artifact


def at_least_high(
    rows: Sequence[Row],
    found: Sequence[frozenset[str]],
    reads: Callable[[frozenset[str]], bool],
) -> float:
    """How often a rule raising what ``reads`` to at least high was right."""
    return precision(
        [r["urgency"] in ("critical", "high") for r, s in zip(rows, found, strict=True) if reads(s)]
    )


def head_critical_answers(
    model: TriageModel, rows: Sequence[Row], found: Sequence[frozenset[str]]
) -> list[tuple[float, bool]]:
    """(confidence, right) of each critical answer the head gives with no critical
    situation read (the rule's answers are the rule's)."""
    scores = model.probabilities([normalise(r["text"]) for r in rows])["urgency"]
    classes = model.heads["urgency"].classes
    answers = []
    for row, situations, row_scores in zip(rows, found, scores, strict=True):
        p = dict(zip(classes, map(float, row_scores), strict=True))
        if "critical" not in situations and model.rules.head_critical(p):
            answers.append((p["critical"], row["urgency"] == "critical"))
    return answers


def critical_confidence(
    confidences: Sequence[float], right: Sequence[bool], target: float = CRITICAL_PRECISION
) -> float:
    """The lowest confidence from which the head's critical answers were right at least
    ``target`` of the time, halfway to the answer below it (not on a sample); 1.0 (never
    critical on the head's word alone) when no such confidence exists."""
    ranked = sorted(zip(confidences, right, strict=True))
    for i, (confidence, _) in enumerate(ranked):
        kept = [hit for _, hit in ranked[i:]]
        if sum(kept) >= target * len(kept):
            return (ranked[i - 1][0] + confidence) / 2 if i else confidence
    return 1.0


def sentiment_precision(
    rows: Sequence[Row], found: Sequence[frozenset[str]], rule: Callable[..., bool], sentiment: str
) -> float:
    """A sentiment rule's precision over the rows it reads (``found``)."""
    hits = [r["sentiment"] == sentiment for r, s in zip(rows, found, strict=True) if rule(s)]
    return precision(hits)


def precision(hits: Sequence[bool]) -> float:
    """Share of a rule's decisions that were right, with one prior hit and one miss."""
    return (sum(hits) + 1) / (len(hits) + 2)


def situations_of(row: Row) -> frozenset[str]:
    return triage_rubric.situations(normalise(row["text"]))
