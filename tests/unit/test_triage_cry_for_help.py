"""A bare cry for help ("HELP!!!", "救命", "助けて！", "急急急！！") read ``low``: no
category, no situation the rubric names, so the n-grams of greetings won. A traveller who
writes only a cry needs an agent fast: it is at least ``high`` (``rules.cry_for_help``),
never made ``critical`` by the rule (nothing says blocked or unsafe). A request that asks
for help with something, or thanks for it, is no cry.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from services.routing.triage.rules import Rules
from tests.triage_pools import pooled

CRIES = [
    "HELP!!!",
    "help me please",
    "SOS",
    "救命",
    "救命啊！",
    "急急急！！",
    "助けて！",
    "助けてください",
    "緊急!!",
    "救救我",
    "Somebody help us!",
    "pls help!!",
    "幫幫我！！",
    "たすけて…",
]
NO_CRY = [
    "Can you help me change my hotel booking next month?",
    "Thanks so much for your help with the taxi!",
    "no help needed anymore, thanks",
    "Help desk phone number?",
    "请帮我开一张发票",
    "不急，有空再回复",
    "助けていただきありがとうございました",
    "SOS CA1501 cancelled",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", CRIES)
def test_a_bare_cry_for_help_is_at_least_high(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert "cry" in triage.situations, triage
    assert triage.urgency in ("critical", "high"), triage


@pytest.mark.parametrize("text", NO_CRY)
def test_help_asked_with_something_or_thanked_for_is_no_cry(text: str) -> None:
    assert "cry" not in situations(normalise(text))


def test_the_rule_raises_to_high_never_to_critical() -> None:
    p = {"critical": 0.1, "high": 0.2, "normal": 0.2, "low": 0.5}
    label = {"category": "other", "urgency": "low"}
    assert Rules(cry_rule=0.7).urgency(label, 0.5, p, frozenset({"cry"})) == ("high", 0.7, True)
    surer = {"critical": 0.05, "high": 0.8, "normal": 0.1, "low": 0.05}
    assert Rules(cry_rule=0.7).urgency(label, 0.5, surer, frozenset({"cry"}))[:2] == ("high", 0.8)


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(CRIES + NO_CRY)
