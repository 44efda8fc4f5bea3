"""An article's near misses (questions it does not answer) are embedded with its sample
questions but apart from them, and the match carries the closest one's similarity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.routing.kb.articles import Article, KnowledgeBase, Translation, best_of

AXES = {"reset my password": 0, "bank card PIN": 1, "Wi-Fi password": 2}


class OneHot:
    """Each known text on its own axis: similarities are 1 or 0."""

    def queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = np.zeros((len(texts), 4), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row, AXES.get(text, 3)] = 1.0
        return vectors


def article(near_misses: list[str]) -> Article:
    english = Translation(
        title="Reset", questions=["reset my password"], answer="Tap", near_misses=near_misses
    )
    return Article(
        id="*:password-reset",
        tenant_id="*",
        article_id="password-reset",
        categories=["account_access"],
        translations={"en": english},
    )


async def test_near_misses_are_embedded_apart_and_scored_with_the_match() -> None:
    kb, with_misses = KnowledgeBase(None, OneHot()), article(["bank card PIN", "Wi-Fi password"])
    await kb.embed(with_misses)

    assert len(with_misses.vectors) == 2  # the title and the sample question
    assert len(with_misses.near_miss_vectors) == 2
    pin = best_of(OneHot().queries(["bank card PIN"])[0], [with_misses])[0]
    assert (pin.score, pin.near_miss) == (0.0, 1.0)
    assert pin.too_near_a_miss()
    ours = best_of(OneHot().queries(["reset my password"])[0], [with_misses])[0]
    assert (ours.score, ours.near_miss, ours.too_near_a_miss()) == (1.0, 0.0, False)


async def test_an_article_without_near_misses_has_none_to_be_near() -> None:
    kb, plain = KnowledgeBase(None, OneHot()), article([])
    await kb.embed(plain)

    found = best_of(OneHot().queries(["bank card PIN"])[0], [plain])[0]
    assert (plain.near_miss_vectors, found.near_miss, found.too_near_a_miss()) == ([], None, False)
