"""Praise and warm thanks: positive, and never a complaint about the service.

The first sentence is the one reported misread (the first stage read it as a high,
negative service complaint); the rest were written for these tests and are in no pool
(``test_the_sentences_here_are_in_no_pool`` checks it).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from services.routing.triage.rules import Rules, warm_thanks
from tests.triage_pools import pooled


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


WARM_THANKS = [
    "Thank you so much, your agent was brilliant and sorted my rebooking in minutes!",
    "Thanks a million, the lady on the phone was very helpful and fixed my hotel dates.",
    "Your colleague was fantastic yesterday, thanks for moving my train so quickly!",
    "谢谢你们，服务太好了",
    "真的谢谢，客服小姐姐特别耐心，一下就帮我改好了",
    "非常感謝，處理得很快",
    "感謝你們 幫了大忙 改票超快",
    "迅速に対応していただき本当に助かりました",
    "丁寧なご対応ありがとうございました。おかげで予定通りに出発できます。",
]

NOT_PRAISE = [
    # sarcasm and praise next to a problem: the complaint stands
    "Thanks, brilliant service as always, third time I ask for my refund.",
    "Thank you, the agent was very helpful, but my bag is still missing.",
    "谢谢，服务太好了，又让我等了两个小时",
    "ありがとうございます。丁寧な対応でしたが、まだ返金されていません。",
]


@pytest.mark.parametrize("text", WARM_THANKS)
def test_warm_thanks_are_positive_and_no_complaint(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert triage.sentiment == "positive", triage
    assert triage.category != "service_complaint", triage


def test_the_reported_praise_is_thanks_with_nothing_to_act_on(model: TriageModel) -> None:
    triage = model.classify(WARM_THANKS[0])
    assert (triage.category, triage.urgency, triage.sentiment) == ("other", "low", "positive")


@pytest.mark.parametrize(
    "text",
    [
        *NOT_PRAISE,
        "Brilliant. My driver never showed up.",  # a praise word, no thanks: sarcasm reads so
        "Thanks, please rebook me on the next flight.",  # formulaic thanks
        "Thanks, it was not very helpful.",
        "谢谢，不是很专业",
        "感謝 但是處理得不太好",
    ],
)
def test_sarcasm_a_problem_formulaic_or_negated_praise_is_not_warm_thanks(text: str) -> None:
    """The rule leaves these to the model (which misreads the first as positive itself)."""
    assert not warm_thanks(situations(normalise(text)))


def test_warm_thanks_take_the_rules_precision_and_rule_out_a_complaint() -> None:
    rules = Rules(praise_rule=0.8)
    label = {"category": "service_complaint", "urgency": "high", "sentiment": "negative"}
    confidence = {"category": 0.6, "urgency": 0.5, "sentiment": 0.55}
    probs = {
        "category": {"service_complaint": 0.6, "other": 0.3, "change_rebook": 0.1},
        "urgency": {"critical": 0.0, "high": 0.5, "normal": 0.2, "low": 0.3},
        "sentiment": {"negative": 0.55, "neutral": 0.15, "positive": 0.3},
    }
    rules.warm_thanks(label, confidence, probs, frozenset({"thanks", "warm_thanks"}))
    assert (label["category"], label["sentiment"]) == ("other", "positive")
    assert confidence["category"] == pytest.approx(0.3 / 0.4)
    assert confidence["sentiment"] == pytest.approx(0.8)


def test_warm_thanks_with_a_complaint_change_nothing() -> None:
    label = {"category": "service_complaint", "urgency": "high", "sentiment": "negative"}
    before = dict(label)
    Rules(praise_rule=0.8).warm_thanks(
        label, {}, {}, frozenset({"thanks", "warm_thanks", "repeat"})
    )
    assert label == before


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(WARM_THANKS[1:] + NOT_PRAISE)
