"""Thanks that are not the whole story: praise of speed, a problem after a turn, a repeat.

The first sentence of each list marked "reported" is the one seen misread; the rest were
written for these tests and are in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.tools.triage_data import CORPUS, CORRECTIONS, REAL, load_pools, overlap_key
from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


REPORTED = ["Your colleague was fantastic yesterday, thanks for moving my train so quickly!"]

THANKED_SPEED = [
    "You rebooked me so quickly, thank you!",
    "Thank you for sending the new tickets so quickly.",
    "Thanks a lot, the agent answered immediately and the hotel is sorted.",
    "谢谢你们马上帮我改好了",
    "謝謝，客服立刻就幫我處理好了！",
    "すぐに対応していただき、ありがとうございました。",
    "ありがとうございます。すぐに返金してくれました。",
]
"""Past-tense gratitude: the speed praises what was done, nothing is asked."""

ASKED_SPEED = [
    "Thanks, please move my train quickly.",
    "Thanks for your help, but I need the new ticket immediately.",
    "Thank you. Could you cancel it quickly?",
    "请马上帮我改签，谢谢",
    "謝謝，飛機馬上要起飛了",
    "ありがとうございます。すぐに返金してください。",
    "すぐに対応していただけますか。ありがとうございます。",
]
"""Thanks around a request: the speed is asked for, so it is urgency."""


@pytest.mark.parametrize("text", REPORTED + THANKED_SPEED)
def test_speed_in_thanks_for_what_was_done_is_no_urgency(text: str) -> None:
    assert "urgent" not in situations(normalise(text))


@pytest.mark.parametrize("text", ASKED_SPEED)
def test_speed_asked_for_next_to_thanks_is_urgency(text: str) -> None:
    assert "urgent" in situations(normalise(text))


@pytest.mark.parametrize("text", REPORTED + THANKED_SPEED[:2] + THANKED_SPEED[3:4])
def test_thanks_for_a_quick_change_are_low(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert (triage.category, triage.urgency) == ("other", "low"), triage


def test_the_sentences_here_are_in_no_pool() -> None:
    pools = load_pools(CORPUS, REAL, CORRECTIONS)
    known = {
        overlap_key(r["text"])
        for pool in (pools.train, pools.calib, pools.eval, pools.fresh, pools.holdout)
        for r in pool
    }
    assert not {overlap_key(t) for t in THANKED_SPEED + ASKED_SPEED} & known
