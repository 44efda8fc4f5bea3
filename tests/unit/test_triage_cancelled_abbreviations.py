"""The travel trade's abbreviations of cancelled ("flight cxl", "my flt cxld", "CA1501
cnx'd", "flight canx") read as a booking failure at ``normal``: the rubric's disruption
knew only the spelled-out word, so the n-grams of "flight" next to an unknown word won. A
flight, or a flight number, then the abbreviation is the carrier's disruption, as "flight
cancelled" is: ``flight_disruption``, at least ``high`` with no time named. "cxl my
flight" asks for a cancellation and is none.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.routing.triage.model import TriageModel, default_model, normalise
from services.routing.triage.rubric import situations
from tests.triage_pools import pooled

ABBREVIATED = [
    "flight cxl",
    "my flt cxld",
    "CA1501 cnx'd",
    "flight canx",
    "BA117 cnxd",
    "JL5 cxld, what now",
    "my flight got canx",
    "cxl'd flight to SFO",
    "MU583 canx'd!!",
    "flt canxed",
]
ASKED_FOR = [
    "cxl my flight please",
    "pls cxl my hotel booking",
    "hotel cxl fee refund?",
    "excel invoice export",
    "flight cxl please, I no longer travel",
]


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return default_model()


@pytest.mark.parametrize("text", ABBREVIATED)
def test_an_abbreviated_cancellation_is_a_disruption(model: TriageModel, text: str) -> None:
    triage = model.classify(text)
    assert "disrupted" in triage.situations, triage
    assert triage.category == "flight_disruption", triage
    assert triage.urgency in ("critical", "high"), triage


@pytest.mark.parametrize("text", ASKED_FOR)
def test_a_cancellation_asked_for_is_no_disruption(text: str) -> None:
    assert "disrupted" not in situations(normalise(text))


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(ABBREVIATED + ASKED_FOR)
