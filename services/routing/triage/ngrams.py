"""The first stage for one text at a time, without building sparse matrices.

``TfidfVectorizer.transform`` then a sparse product costs about half a millisecond
per call, mostly in bookkeeping for a single row. A contact is classified alone, so
this does the same arithmetic directly: the analyzer's character n-grams (whitespace
runs collapsed as scikit-learn's ``char`` analyzer does), sublinear term frequency,
inverse document frequency, L2 norm, then the rows of the stacked head weights those
n-grams select, plus the rubric situations' rows. The result equals the vectorizer's
path to float precision (``tests/unit/test_triage.py`` checks it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

_WHITE_SPACES = re.compile(r"\s\s+")


class NgramScorer:
    """Scores of every head's classes for one normalised text."""

    def __init__(
        self,
        vectorizer: Any,
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        rubric_features: Iterable[str],
        rubric_scale: float,
    ) -> None:
        self.vocabulary: Mapping[str, int] = vectorizer.vocabulary_
        self.idf: NDArray[np.float64] = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.min_n, self.max_n = vectorizer.ngram_range
        self.weights = weights
        """(n-grams + rubric features) × every head's classes, stacked."""
        self.bias = bias.astype(np.float64)
        offset = len(self.idf)
        self.rubric_rows = {name: offset + i for i, name in enumerate(rubric_features)}
        self.rubric_scale = rubric_scale

    def ngrams(self, text: str) -> Counter[int]:
        """Counts of the vocabulary's n-grams in the text, as the ``char`` analyzer reads it."""
        text = _WHITE_SPACES.sub(" ", text)
        vocabulary = self.vocabulary
        counts: Counter[int] = Counter()
        length = len(text)
        for n in range(self.min_n, min(self.max_n, length) + 1):
            for start in range(length - n + 1):
                column = vocabulary.get(text[start : start + n])
                if column is not None:
                    counts[column] += 1
        return counts

    def scores(self, normalised: str, situations: Iterable[str]) -> NDArray[np.float64]:
        counts = self.ngrams(normalised)
        out = self.bias.copy()
        if counts:
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * self.idf[columns]
            values /= np.sqrt(values @ values)
            out += values @ self.weights[columns]
        rows = [self.rubric_rows[name] for name in situations if name in self.rubric_rows]
        if rows:
            out += self.rubric_scale * self.weights[rows].sum(axis=0)
        return out
