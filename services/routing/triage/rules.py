"""The rubric's rules over the model's answer (docs/routing.md, "Urgency rubric").

Pure: the calibrated numbers come from the artifact (``train.py`` measures each rule on
the calibration pool), the probabilities and situations from the model. Each rule that
changes an answer states its confidence as its precision on that pool, unless the model
is surer, or as the model's own probability of the answer it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.routing.triage.category_urgency import CATEGORY_URGENCY

CRITICAL_CONFIDENCE = 0.5
"""For an artifact calibrated before the rule: a critical reading must be the likelier."""

Probabilities = dict[str, float]
"""One field's calibrated probability per class."""


@dataclass(frozen=True)
class Rules:
    critical_floor: float = 0.25
    junk_confidence: float = 0.4
    critical_rule: float = 0.9
    """How often the rubric's critical situations were critical on the calibration pool."""
    critical_confidence: float = CRITICAL_CONFIDENCE
    """The head's confidence a critical reading needs without a critical situation: from
    there up, its critical answers on the calibration pool were mostly right."""
    category_rules: dict[str, float] = field(default_factory=dict)
    """How often each category's implied urgency was right on the calibration pool."""

    @classmethod
    def from_artifact(cls, rules: dict[str, Any]) -> Rules:
        numbers = {
            name: float(rules[name])
            for name in (
                "critical_floor",
                "junk_confidence",
                "critical_rule",
                "critical_confidence",
            )
            if name in rules
        }
        categories = {name: float(rules.get(f"{name}_rule", 0.5)) for name in CATEGORY_URGENCY}
        return cls(**numbers, category_rules=categories)

    def head_critical(self, p: Probabilities) -> bool:
        """The head (no critical situation read) answers critical: its likeliest urgency,
        or raised there by the floor (``critical_floor``)."""
        if max(p, key=lambda name: p[name]) == "critical":
            return True
        return p["critical"] >= self.critical_floor and p["critical"] > p["high"]

    def urgency(
        self, label: dict[str, str], confidence: float, p: Probabilities, situations: frozenset[str]
    ) -> tuple[str, float, bool]:
        """The rubric's rules over the model's urgency: (urgency, confidence, raised).

        Critical situations are critical; a critical reading of the head's alone needs
        ``critical_confidence`` (else high); nothing likely critical is below high; a
        complaint about the service is high and other (greetings, thanks, information)
        low.
        """
        urgency = label["urgency"]
        if "critical" in situations:
            return "critical", max(p["critical"], self.critical_rule), urgency != "critical"
        if self.head_critical(p) and p["critical"] < self.critical_confidence:
            # Paging a manager needs a surer reading: at least high, as likely as the two.
            return "high", p["critical"] + p["high"], urgency in ("normal", "low")
        if urgency in ("normal", "low") and p["critical"] >= self.critical_floor:
            raised = "critical" if p["critical"] > p["high"] else "high"
            return raised, p[raised], True
        implied = CATEGORY_URGENCY.get(label["category"])
        if implied and urgency in (implied[0], *implied[1]):
            # The rule's precision is how often the category's urgency is right, whether the
            # head already gave it or the rule set it.
            stated = max(p[implied[0]], self.category_rules.get(label["category"], 0.5))
            return implied[0], stated, urgency != implied[0]
        return urgency, confidence, False
