"""The rubric's rules over the model's answer (docs/routing.md, "Urgency rubric").

Pure: the calibrated numbers come from the artifact (``tools/rule_calibration.py``
measures each rule on the calibration pool), the probabilities and situations from the
model. Each rule that changes an answer states its confidence as its precision on that
pool, unless the model is surer, or as the model's own probability of the answer it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.routing.triage.category_urgency import CATEGORY_URGENCY, TRAVELLING_NOW

URGENCIES = ("critical", "high", "normal", "low")
CLOSING = {"category": "other", "urgency": "low", "sentiment": "neutral"}
CRITICAL_CONFIDENCE = 0.5
"""For an artifact calibrated before the rule: a critical reading must be the likelier."""
COMPLAINT_EVIDENCE = frozenset({"escalate", "repeat", "blocked", "charged"})
"""Situations that make a message a complaint or a problem whatever else it says."""
RAISING = COMPLAINT_EVIDENCE | {"urgent", "now", "soon", "personal"}
"""Situations that keep a category's rule from lowering the head's ``high``: a problem, a
deadline today ("please handle this today" is high, docs/routing.md), or a personal
emergency."""

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
    closing_rule: float = 0.5
    """How often a closing was other, low and neutral on the calibration pool."""
    praise_rule: float = 0.5
    """How often warm thanks (``warm_thanks``) were positive on the calibration pool."""
    open_problem_rule: float = 0.5
    """How often thanks turning to a problem still open (``open_problem``) were negative on
    the calibration pool."""
    disruption_rule: float = 0.5
    """How often a carrier's disruption reported with no time named (``reported_disruption``)
    was at least high on the calibration pool."""
    personal_rule: float = 0.5
    """How often a personal emergency or bereavement (``readings.PERSONAL``) not read
    critical was at least high on the calibration pool."""
    cry_rule: float = 0.5
    """How often a bare cry for help (``cry``) was at least high on the calibration pool."""
    entry_document_rule: float = 0.5
    """How often an entry-document question (``entry_document``) was ``other`` on the
    calibration pool."""
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
                "closing_rule",
                "praise_rule",
                "open_problem_rule",
                "disruption_rule",
                "personal_rule",
                "cry_rule",
                "entry_document_rule",
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

    def closing(self, probs: dict[str, Probabilities]) -> tuple[dict[str, str], dict[str, float]]:
        """Thanks and farewells, nothing asked: other, low, neutral, however the n-grams
        read them ("没有问题了，再见" is no complaint)."""
        label = dict(CLOSING)
        return label, {f: max(probs[f][label[f]], self.closing_rule) for f in label}

    def warm_thanks(
        self,
        label: dict[str, str],
        confidence: dict[str, float],
        probs: dict[str, Probabilities],
        situations: frozenset[str],
    ) -> None:
        """Thanks with praise are positive, and praise of the service is no complaint about
        it, however the n-grams read the words around them ("your agent was brilliant"):
        unless the message complains, repeats itself, or is blocked, charged or critical.
        The sentiment states the rule's precision unless the model is surer (in place)."""
        if not warm_thanks(situations):
            return
        if label["category"] == "service_complaint":
            _next_likeliest("category", label, confidence, probs)
        label["sentiment"] = "positive"
        confidence["sentiment"] = max(probs["sentiment"]["positive"], self.praise_rule)

    def entry_document(
        self,
        label: dict[str, str],
        confidence: dict[str, float],
        probs: dict[str, Probabilities],
        situations: frozenset[str],
    ) -> None:
        """A visa or entry-document question with nothing booked or paid named is ``other``
        (travel information), however the n-grams read 办理 or 申請 (an approval flow's):
        unless the message complains, reports a problem or is critical. The category states
        the rule's precision unless the model is surer (in place)."""
        if "entry_document" not in situations or situations & (
            COMPLAINT_EVIDENCE | {"critical", "open_problem"}
        ):
            return
        label["category"] = "other"
        confidence["category"] = max(probs["category"]["other"], self.entry_document_rule)

    def open_problem(
        self,
        label: dict[str, str],
        confidence: dict[str, float],
        probs: dict[str, Probabilities],
        situations: frozenset[str],
    ) -> None:
        """Thanks that turn to a problem still open ("thank you, …, but my bag is still
        missing") or come with a repeat contact ("third time I ask") are negative and
        something to act on (not ``other``), however warm the thanks: the writer turns
        against them. An open problem without thanks keeps the model's sentiment (a plain
        report is neutral by the labels). The sentiment states the rule's precision unless
        the model is surer (in place)."""
        if not thanks_turning(situations):
            return
        if label["category"] == "other":
            _next_likeliest("category", label, confidence, probs)
        if label["sentiment"] != "negative":
            label["sentiment"] = "negative"
            confidence["sentiment"] = max(probs["sentiment"]["negative"], self.open_problem_rule)

    def urgency(
        self, label: dict[str, str], confidence: float, p: Probabilities, situations: frozenset[str]
    ) -> tuple[str, float, bool]:
        """The rubric's rules over the model's urgency: (urgency, confidence, raised).

        Critical situations are critical; a critical reading of the head's alone needs
        ``critical_confidence`` (else high); nothing likely critical is below high, nor a
        personal emergency or bereavement (a person must answer soon, however calmly it
        asks); a complaint about the service is high and other (greetings, thanks,
        information) low unless the text names what raises it.
        ``critical_confidence`` (else high); nothing likely critical is below high; a
        bare cry for help is at least high; a complaint about the service is high and other
        (greetings, thanks, information) low unless the text names what raises it.
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
        if urgency in ("normal", "low") and "personal" in situations:
            return "high", max(p["high"], self.personal_rule), True
        if urgency in ("normal", "low") and "cry" in situations:
            # A bare cry names no situation: an agent looks fast, nobody is paged.
            return "high", max(p["high"], self.cry_rule), True
        travelling = label["category"] in TRAVELLING_NOW
        if urgency in ("normal", "low") and travelling and reported_disruption(situations):
            return "high", max(p["high"], self.disruption_rule), True
        implied = CATEGORY_URGENCY.get(label["category"])
        if not implied or urgency not in (implied[0], *implied[1]):
            return urgency, confidence, False
        lowering = URGENCIES.index(urgency) < URGENCIES.index(implied[0])
        if urgency == "high" and lowering and situations & RAISING:
            return urgency, confidence, False
        # The rule's precision is how often the category's urgency is right, whether the
        # head already gave it or the rule set it.
        stated = max(p[implied[0]], self.category_rules.get(label["category"], 0.5))
        return implied[0], stated, urgency != implied[0] and not lowering


def reported_disruption(situations: frozenset[str]) -> bool:
    """The carrier cancelled or delayed the trip ("航班取消了!!", "欠航", "flight canceled
    wtf") and the message tells no time: not an after-the-fact report, no "no rush", no
    refund asked (the trip is over: a slow refund is normal). The rubric makes a disruption
    critical within a day and high later, so one with no day named is at least high, never
    a normal queue's (the traveller may be at the gate)."""
    current = "now" in situations or "after" not in situations
    calm = situations & {"no_rush", "refund"}
    return "disrupted" in situations and current and not calm


def warm_thanks(situations: frozenset[str]) -> bool:
    """Thanks with praise (``readings.warm_thanks``) in a message that neither complains,
    repeats itself, nor reports being blocked, charged or in a critical situation."""
    return "warm_thanks" in situations and not situations & (COMPLAINT_EVIDENCE | {"critical"})


def thanks_turning(situations: frozenset[str]) -> bool:
    """Thanks in a message with a problem still open (``readings.OPEN_PROBLEM``): after a
    turn, or a repeat contact."""
    return {"thanks", "open_problem"} <= situations


def rule_out(
    label: dict[str, str],
    confidence: dict[str, float],
    probs: dict[str, Probabilities],
    situations: frozenset[str],
) -> None:
    """A negated problem ("no problem", 没有问题) is no complaint, and thanks with nothing
    to act on (``other``) are not negative — unless the message complains or reports a
    problem too. Thanks closing an angry request stay the request's (in place).

    The answer left is the next likeliest, at its probability given that the ruled-out
    one is not the answer."""
    if situations & (COMPLAINT_EVIDENCE | {"open_problem"}):
        return
    if label["category"] == "service_complaint" and "no_problem" in situations:
        _next_likeliest("category", label, confidence, probs)
    if label["sentiment"] == "negative" and "thanks" in situations and label["category"] == "other":
        _next_likeliest("sentiment", label, confidence, probs)


def _next_likeliest(
    name: str, label: dict[str, str], confidence: dict[str, float], probs: dict[str, Probabilities]
) -> None:
    p = dict(probs[name])
    rest = 1.0 - p.pop(label[name])
    label[name] = max(p, key=lambda k: p[k])
    confidence[name] = p[label[name]] / rest if rest > 0 else 0.0
