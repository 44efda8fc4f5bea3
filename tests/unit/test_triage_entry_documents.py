"""Visa and entry-document questions ("签证怎么办理", "ビザの申請方法を教えてください") read
``approval`` or another service's category: the n-grams of 办理 and 申請 are an approval
flow's. Travel information not about a booking is ``other`` (docs/routing.md; the
evaluation set labels its visa questions ``other``, ``low``), and ``approval`` is the trip
approval workflow, so a message about an entry document that names nothing TripCare books
or pays for is ``other`` (``rules.Rules.entry_document``). A visa fee claimed, a Visa
card, a flight to change, or the travel policy keep their category.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from services.routing.triage.rules import Rules
from tests.triage_pools import pooled

QUESTIONS = [
    "签证怎么办理",
    "ビザの申請方法を教えてください",
    "商务签证需要什么材料",
    "ビザ申請の招聘状が欲しいです",
    "visa on arrival in Thailand?",
    "簽證要辦多久？",
    "Does my passport need six months validity for Indonesia?",
    "台胞证怎么办",
]
NOT_ENTRY_QUESTIONS = [
    "can I claim visa fees on expenses?",
    "I paid with my Visa card and got charged twice",
    "My Visa card was declined at the hotel",
    "my visa is late, please change my flight to next Friday",
    "签证费可以报销吗",
    "簽證費我先墊付了，怎麼報帳？",
    "ビザ代は経費で精算できますか",
    "my trip approval is still pending with my manager",
    "Is a visa covered by our travel policy?",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", QUESTIONS)
def test_an_entry_document_question_is_other(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert triage.category == "other", triage
    assert triage.urgency == "low", triage


@pytest.mark.parametrize("text", NOT_ENTRY_QUESTIONS)
def test_money_a_booking_or_the_policy_named_is_no_entry_question(text: str) -> None:
    assert "entry_document" not in situations(normalise(text))


def test_the_rule_states_its_precision_unless_the_model_is_surer() -> None:
    probs = {"category": {"approval": 0.6, "other": 0.3, "policy_question": 0.1}}
    label, confidence = {"category": "approval"}, {"category": 0.6}
    Rules(entry_document_rule=0.8).entry_document(
        label, confidence, probs, frozenset({"entry_document"})
    )
    assert (label, confidence) == ({"category": "other"}, {"category": 0.8})
    label, confidence = {"category": "approval"}, {"category": 0.6}
    Rules().entry_document(label, confidence, probs, frozenset({"entry_document", "blocked"}))
    assert label == {"category": "approval"}


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(QUESTIONS + NOT_ENTRY_QUESTIONS)
