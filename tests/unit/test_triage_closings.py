"""Triage of closings, thanks and bookings for later: what the rubric says they are.

The first four texts are real traveller messages QA saw misread on the live stack; the
rest are paraphrases written for these tests (never trained or calibrated on).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.routing.tools.rule_calibration import critical_confidence
from services.routing.triage.model import FirstRead, TriageModel, default_model, normalise
from services.routing.triage.rubric import situations


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


CLOSINGS = [
    "谢谢！没有问题了，再见！",  # CrossWOZ
    "好的，沒有問題了，再見！",  # the hand-labelled evaluation set: other, low, neutral
    "Thanks, no problem at all. Bye!",
    "All good now, no more questions. Have a nice day!",
    "ok no issues, thank you, goodbye",
    "好的没问题了，谢谢，拜拜",
    "嗯嗯，没有别的问题了，谢谢你，再见～",
    "沒問題了，謝謝你，掰掰！",
    "好喔 沒有其他問題了 謝謝 再見",
    "問題ありません。ありがとうございました、失礼します。",
    "大丈夫です、特に問題ないです。ありがとうございました！",
]


@pytest.mark.parametrize("text", CLOSINGS)
def test_a_closing_without_a_request_is_other_low_and_not_negative(
    model: TriageModel, text: str
) -> None:
    triage = model.classify(text)
    assert (triage.category, triage.urgency) == ("other", "low"), triage
    assert triage.sentiment != "negative", triage


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, but my problem is still not solved.",
        "谢谢，不过我的问题还是没有解决",
        "謝謝 但是問題到現在還是沒處理",
        "ありがとうございます。でも問題はまだ解決していません。",
    ],
)
def test_thanks_followed_by_a_problem_is_not_a_closing(text: str) -> None:
    assert "closing" not in situations(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "太好啦，你给我的推荐都非常好，非常感谢哦",  # CrossWOZ
        "This is great, your recommendations were all spot on. Thanks so much!",
        "太棒了，你推荐的都特别合适，真的非常感谢！",
        "太好了，你推薦的都超棒，非常感謝喔！",
        "最高です！おすすめしてもらったところ全部よかったです。本当にありがとうございます！",
    ],
)
def test_warm_thanks_and_praise_are_never_negative(model: TriageModel, text: str) -> None:
    """Positive or neutral is the model's call (docs/routing.md: warm thanks beyond a
    formula are positive); "太", "非常" and "都" are no complaint next to thanks."""
    triage = model.classify(text)
    assert triage.sentiment != "negative", triage
    assert (triage.category, triage.urgency) == ("other", "low"), triage


def test_the_crosswoz_praise_qa_saw_read_as_negative_is_positive(model: TriageModel) -> None:
    assert model.classify("太好啦，你给我的推荐都非常好，非常感谢哦").sentiment == "positive"


def test_sarcastic_thanks_stay_a_negative_complaint(model: TriageModel) -> None:
    triage = model.classify("Thanks for nothing. Third time I write and nobody answers.")
    assert (triage.category, triage.sentiment) == ("service_complaint", "negative")
    assert triage.urgency in ("high", "critical")


@pytest.mark.parametrize(
    "text",
    [
        # JMultiWOZ
        "ありがとうございます。そちらのタクシーの予約をしたいのですが、3月22日の10時40分でお願いします。",
        "ありがとうございます。4月5日の18時30分にタクシーを1台お願いできますか。",
        "Thanks! I'd like to book a taxi for March 22 at 10:40.",
        "谢谢。帮我订一辆3月22日上午10点40分的出租车。",
        "謝謝，我想預約3月22日早上10點40分的計程車。",
    ],
)
def test_a_booking_for_a_later_time_is_not_critical(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert triage.category == "ground_transport", triage
    assert triage.urgency in ("normal", "low"), triage


def test_a_clock_time_is_not_minutes_from_now() -> None:
    assert "soon" not in situations(normalise("3月22日の10時40分でお願いします"))
    assert "soon" in situations(normalise("新幹線はあと40分で出ます"))


def test_the_critical_confidence_is_where_the_heads_critical_answers_were_mostly_right() -> None:
    confidences = [0.36, 0.37, 0.65, 0.71, 0.96, 0.98]
    right = [False, False, False, False, True, True]
    assert critical_confidence(confidences, right) == pytest.approx((0.71 + 0.96) / 2)
    assert critical_confidence([0.6, 0.8], [True, True]) == pytest.approx(0.6)
    assert critical_confidence([0.6, 0.8], [False, False]) == 1.0


def _read(model: TriageModel, critical: float) -> FirstRead:
    """A first reading with no situations whose urgency head gives ``critical`` that likely."""
    read = model.first_read("I need to change my hotel booking")
    classes = model.heads["urgency"].classes
    rest = (1.0 - critical) / (len(classes) - 1)
    urgency = np.asarray([critical if c == "critical" else rest for c in classes])
    return replace(
        read, situations=frozenset(), probabilities={**read.probabilities, "urgency": urgency}
    )


def test_a_critical_reading_below_the_calibrated_confidence_falls_back_to_high(
    model: TriageModel,
) -> None:
    assert 0.5 < model.rules.critical_confidence < 1.0
    unsure = model.decide(_read(model, model.rules.critical_confidence - 0.05))
    assert unsure.urgency == "high"
    assert unsure.urgency_confidence > model.rules.critical_confidence - 0.05
    sure = model.decide(_read(model, model.rules.critical_confidence + 0.05))
    assert sure.urgency == "critical"
