"""A bereaved traveller asking calmly ("My father passed away, I need to cancel my trip to
Tokyo next week, how do I cancel?", 家父過世，要取消機票) read ``normal``: a week away, no
word of urgency. The bot leaves it to a person, who must answer it soon: a personal
emergency or bereavement (``readings.PERSONAL``) is at least ``high``, as the real messages
with one are. Its confidence is the rule's precision on the calibration pool
(``personal_rule``) unless the model is surer.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model
from services.routing.triage.rules import Rules
from tests.triage_pools import pooled

BEREAVED = [
    "My father passed away, I need to cancel my trip to Tokyo next week, how do I cancel?",
    "I need bereavement leave, how do I cancel my booking?",
    "家里老人去世了，需要取消出差订单怎么操作",
    "我住院了，酒店怎么改期",
    "家父過世，要取消機票",
    "父が亡くなったので出張をキャンセルしたいです",
    "入院したので予約を変更したい",
    "忌引きで出張をキャンセルしたい",
]
NOT_RAISED = [
    "How do I cancel a booking?",
    "What is the deadline to cancel a hotel?",
    "手机死机了，怎么取消订单",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", BEREAVED)
def test_a_personal_emergency_is_at_least_high(model: TriageModel, text: str) -> None:
    assert model.classify(text).urgency in ("critical", "high")


@pytest.mark.parametrize("text", NOT_RAISED)
def test_a_near_miss_keeps_its_urgency(model: TriageModel, text: str) -> None:
    assert model.classify(text).urgency in ("normal", "low")


def test_the_rule_states_its_precision_unless_the_model_is_surer() -> None:
    p = {"critical": 0.05, "high": 0.15, "normal": 0.7, "low": 0.1}
    label = {"category": "cancel_refund", "urgency": "normal"}
    found = frozenset({"personal", "info"})
    assert Rules(personal_rule=0.9).urgency(label, 0.7, p, found) == ("high", 0.9, True)
    surer = {"critical": 0.05, "high": 0.95, "normal": 0.0, "low": 0.0}
    assert Rules(personal_rule=0.9).urgency(label, 0.7, surer, found) == ("high", 0.95, True)


def test_the_category_rule_does_not_lower_it() -> None:
    """``other`` is low unless the text names what raises it: a bereavement does."""
    p = {"critical": 0.05, "high": 0.6, "normal": 0.05, "low": 0.3}
    label = {"category": "other", "urgency": "high"}
    assert Rules().urgency(label, 0.6, p, frozenset({"personal"}))[0] == "high"


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(BEREAVED + NOT_RAISED)
