"""A Japanese traveller told at the hotel that it is overbooked tonight: the rubric read
"overbooked" in English and 超售 in Chinese but not オーバーブッキング, nor "no room to
stay in" (泊まる部屋がない) beside its 泊まるところがない, so the case was ``high``.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from tests.triage_pools import pooled

TONIGHT = [
    "受付でダブルブッキングだと言われ、今夜は泊まれないそうです",
    "今夜泊まる部屋がないとフロントに言われました。どうすればいいですか",
    "札幌のホテル、オーバーブックで今夜の部屋がありません",
]
NEXT_WEEK = "来週の京都のホテルがオーバーブッキングになったとメールが来ました"


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", TONIGHT)
def test_overbooked_tonight_is_critical(model: TriageModel, text: str) -> None:
    assert model.classify(text).urgency == "critical"


def test_overbooked_next_week_is_blocked_but_not_critical() -> None:
    found = situations(normalise(NEXT_WEEK))
    assert "blocked" in found
    assert "critical" not in found


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled([*TONIGHT, NEXT_WEEK])
