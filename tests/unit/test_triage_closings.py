"""Triage of closings, thanks and bookings for later: what the rubric says they are.

The first four texts are real traveller messages QA saw misread on the live stack; the
rest are paraphrases written for these tests (never trained or calibrated on).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from services.routing.tools.train import critical_confidence
from services.routing.triage.model import FirstRead, TriageModel, default_model, normalise
from services.routing.triage.rubric import situations


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


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
