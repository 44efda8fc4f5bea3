"""Sarcasm marked the way travellers mark it: an eye-roll or upside-down face (🙄, 🙃, 😒),
Japanese's "(棒)" (said flatly, not meant), Chinese's 呵呵. Every real message with one is a
complaint about the service, high and negative, but "thanks … amazing service … 🙄" read
as warm thanks: ``other``, ``low``, ``positive``, so the complaint went to no one soon.
They are the ``escalate`` situation now, which keeps the praise rule off. (The heads may
still read "大変助かります（棒）" positive: that needs training, not a rule.)

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model
from tests.triage_pools import pooled

SARCASTIC_THANKS = [
    "Thank you so much for the wonderful support, a whole fortnight and still no reply 🙄",
    "ご丁寧な自動返信ありがとうございます。大変助かります（棒）",
    "谢谢你们的高效服务呵呵，一个礼拜了还没人回",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", SARCASTIC_THANKS)
def test_sarcastic_thanks_are_a_complaint(model: TriageModel, text: str) -> None:
    answer = model.classify(text)
    assert (answer.category, answer.urgency) == ("service_complaint", "high")


@pytest.mark.parametrize("text", [SARCASTIC_THANKS[0], SARCASTIC_THANKS[2]])
def test_sarcastic_thanks_are_no_praise(model: TriageModel, text: str) -> None:
    assert model.classify(text).sentiment == "negative"


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(SARCASTIC_THANKS)
