"""Triage of closings, thanks and bookings for later: what the rubric says they are.

The first four texts are real traveller messages QA saw misread on the live stack; the
rest are paraphrases written for these tests (never trained or calibrated on).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
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
