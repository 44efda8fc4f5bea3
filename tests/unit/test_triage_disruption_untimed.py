"""A carrier's disruption reported with no time named ("航班取消了!!", "欠航", "flight
canceled wtf") read ``normal``: the rubric makes a disruption critical within a day and high
later, so one with no day named went to a normal queue while the traveller may be at the
gate. It is at least ``high`` (``rules.reported_disruption``); a report after the fact, a
"no rush" or a refund asked for a cancelled booking is not raised.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from services.routing.triage.rules import Rules, reported_disruption
from tests.triage_pools import pooled

UNTIMED = [
    "航班取消了!!",
    "班機取消了!!",
    "便が欠航になった…",
    "欠航",
    "flight canceled wtf",
]
NOT_RAISED = [
    "Last week my flight was cancelled and the airline never refunded the taxes.",
    "上个月航班延误了，想问一下能不能申请补偿，不急",
    "The airline cancelled my flight, how long until my refund comes through?",
    "航空会社の欠航で払い戻しを申請しました。いつ入金されますか",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", UNTIMED)
def test_a_disruption_with_no_time_named_is_at_least_high(model: TriageModel, text: str) -> None:
    assert model.classify(text).urgency in ("critical", "high")


@pytest.mark.parametrize("text", NOT_RAISED)
def test_a_disruption_after_the_fact_or_no_rush_is_not_raised(text: str) -> None:
    assert not reported_disruption(situations(normalise(text)))


def test_the_rule_states_its_precision_unless_the_model_is_surer() -> None:
    p = {"critical": 0.05, "high": 0.15, "normal": 0.7, "low": 0.1}
    label = {"category": "flight_disruption", "urgency": "normal"}
    found = frozenset({"disrupted"})
    assert Rules(disruption_rule=0.9).urgency(label, 0.7, p, found) == ("high", 0.9, True)
    other = {"category": "cancel_refund", "urgency": "normal"}
    assert Rules(disruption_rule=0.9).urgency(other, 0.7, p, found)[0] == "normal"


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(UNTIMED + NOT_RAISED)
