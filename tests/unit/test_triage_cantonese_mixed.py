"""Chinese as travellers type it at night: Cantonese's perfective 咗 where Mandarin writes 了
("取消咗", "暈咗", "護照唔見咗"), and a flight number followed by the English word for its
fate ("MU5101 delay到", "3U8633 cancelled了"). The rubric read only the Mandarin and the
all-Chinese forms, so a stranded or fainted traveller read ``normal`` or ``high``.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from tests.triage_pools import pooled

CRITICAL = [
    "KA432取消咗，我哋而家喺機場，聽朝一早要開會",
    "阿媽喺酒店大堂暈咗，叫咗白車",
    "我護照唔見咗，今晚點返香港",
    "MU5101 delay到凌晨兩點，我人在机场，明早的会怎么办",
    "夜晚十一點半了，仲喺白雲機場，HO1254一直delay",
]
DISRUPTED = ["3U8633 cancelled了", "HX231 delay咗三個鐘"]
NOT_DISRUPTED = ["我想取消KA432", "幫我把HX231取消咗佢", "我在网上订的机场接送"]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", CRITICAL)
def test_cantonese_and_mixed_stranded_travellers_are_critical(
    model: TriageModel, text: str
) -> None:
    assert model.classify(text).urgency == "critical"


@pytest.mark.parametrize("text", DISRUPTED)
def test_a_flight_number_then_its_english_fate_is_a_disruption(text: str) -> None:
    assert "disrupted" in situations(normalise(text))


@pytest.mark.parametrize("text", NOT_DISRUPTED)
def test_a_cancellation_asked_for_is_no_disruption(text: str) -> None:
    assert not {"disrupted", "now", "critical"} & situations(normalise(text))


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(CRITICAL + DISRUPTED + NOT_DISRUPTED)
