"""Stranded travellers who say so in few words: "I am stuck" with no place named, or a
flight number for the flight ("CA1501今天取消了"). They read ``normal`` or ``high``, so the
case did not route critical and the bot was free to answer it.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from tests.triage_pools import pooled


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


STRANDED = [
    "My flight is cancelled and I am stuck.",
    "Our train to Kyoto got cancelled, we're stuck!",
    "CA1501今天取消了，怎么办",
    "BR0867今天取消了，請幫忙",
]
NOT_DISRUPTED = [
    "我想取消CA1501",
    "请帮我把CA1501取消",
    "I am stuck on the approval step of the expense form",
]


@pytest.mark.parametrize("text", STRANDED)
def test_a_stranded_traveller_in_few_words_is_critical(model: TriageModel, text: str) -> None:
    assert model.classify(text).urgency == "critical"


@pytest.mark.parametrize("text", NOT_DISRUPTED)
def test_a_cancellation_asked_for_or_a_stuck_form_is_no_disruption(text: str) -> None:
    assert not {"disrupted", "blocked", "critical"} & situations(normalise(text))


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(STRANDED + NOT_DISRUPTED)
