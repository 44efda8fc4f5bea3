"""Thanks that are not the whole story: praise of speed, a problem after a turn, a repeat.

The first sentence of each list marked "reported" is the one seen misread; the rest were
written for these tests and are in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from services.routing.triage.rules import Rules
from tests.triage_pools import pooled


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
    assert not pooled(THANKED_SPEED + ASKED_SPEED)


REPORTED_OPEN = ["Thank you, the agent was very helpful, but my bag is still missing"]

OPEN_PROBLEMS = [
    "Thanks for the quick reply, but I still haven't received my refund.",
    "谢谢，客服很耐心，但是我的行李还是没有到",
    "謝謝你們的幫忙，可是退款仍然沒收到",
    "ありがとうございます。担当の方は親切でしたが、荷物がまだ届いていません。",
    "対応ありがとうございます。でも返金はまだされていません。",
]
"""Thanks, then a turn to a problem that is still open."""

TURNS_TO_NOTHING_OPEN = [
    "Thanks, but no need to call me back.",
    "Thank you! I was worried, but everything is sorted now.",
    "Thanks, but I still need to check with my manager.",
    "谢谢，不过现在已经解决了",
    "ありがとうございます。でももう大丈夫です。",
]


@pytest.mark.parametrize("text", REPORTED_OPEN + OPEN_PROBLEMS)
def test_a_turn_to_a_problem_still_open_is_read(text: str) -> None:
    found = situations(normalise(text))
    assert "open_problem" in found
    assert "closing" not in found


@pytest.mark.parametrize("text", TURNS_TO_NOTHING_OPEN)
def test_a_turn_to_nothing_open_is_no_open_problem(text: str) -> None:
    assert "open_problem" not in situations(normalise(text))


@pytest.mark.parametrize("text", REPORTED_OPEN + OPEN_PROBLEMS)
def test_thanks_before_a_problem_still_open_are_negative_and_not_other(
    model: TriageModel, text: str
) -> None:
    triage = model.classify(text)
    assert triage.sentiment == "negative", triage
    assert triage.category != "other", triage


def test_an_open_problem_is_negative_at_the_rules_precision_and_not_other() -> None:
    label = {"category": "other", "urgency": "low", "sentiment": "neutral"}
    confidence = {"category": 0.5, "urgency": 0.9, "sentiment": 0.6}
    probs = {
        "category": {"other": 0.5, "baggage": 0.4, "billing": 0.1},
        "urgency": {"critical": 0.0, "high": 0.05, "normal": 0.05, "low": 0.9},
        "sentiment": {"negative": 0.3, "neutral": 0.6, "positive": 0.1},
    }
    Rules(open_problem_rule=0.7).open_problem(
        label, confidence, probs, frozenset({"thanks", "open_problem"})
    )
    assert (label["category"], label["sentiment"]) == ("baggage", "negative")
    assert confidence["category"] == pytest.approx(0.4 / 0.5)
    assert confidence["sentiment"] == pytest.approx(0.7)


def test_the_open_problems_here_are_in_no_pool() -> None:
    assert not pooled(OPEN_PROBLEMS + TURNS_TO_NOTHING_OPEN)


REPORTED_REPEAT = ["Thanks, brilliant service as always, third time I ask for my refund."]

REPEAT_CONTACTS = [
    "Thank you so much, this is the fourth time I have written about my invoice.",
    "Thanks a lot, I have called three times about the hotel refund.",
    "谢谢，服务真好，第三次问退款了",
    "謝謝你們喔，這已經是第三次問同一張發票了",
    "ありがとうございます、三回目の問い合わせですが返金はまだですか",
    "いつも丁寧な対応ありがとうございます。何度も連絡していますが、領収書が届きません。",
]
"""Thanks around a contact made again: sarcasm or patience running out, never praise."""


@pytest.mark.parametrize("text", REPORTED_REPEAT + REPEAT_CONTACTS)
def test_thanks_in_a_repeat_contact_are_negative_and_not_other(
    model: TriageModel, text: str
) -> None:
    triage = model.classify(text)
    assert "open_problem" in triage.situations, triage
    assert triage.sentiment == "negative", triage
    assert triage.category != "other", triage


@pytest.mark.parametrize(
    "text", ["Thanks again for your help!", "再次感谢！", "またよろしくお願いします"]
)
def test_thanks_again_are_no_repeat_contact(text: str) -> None:
    assert "open_problem" not in situations(normalise(text))


def test_the_repeat_contacts_here_are_in_no_pool() -> None:
    assert not pooled(REPEAT_CONTACTS)
