"""The knowledge base's embeddings run on their own thread, below routing's CPU priority: on
a shared machine the bulk compute waits for the acknowledgements, not the other way."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.routing.kb.articles import KnowledgeBase, embedding_thread


class WhereEmbedded:
    """Remembers which thread embedded and at what priority."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, 0)))
        return np.ones((len(texts), 4), dtype=np.float32)


async def test_a_contact_is_embedded_on_the_knowledge_bases_thread_five_steps_lower() -> None:
    embedder, thread = WhereEmbedded(), embedding_thread(5)
    kb = KnowledgeBase(None, embedder, thread=thread)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        query = await kb.embed_query("Can I add a checked bag?")
        await kb.embed_query("我的航班被取消了")
    finally:
        thread.shutdown()

    assert query.shape == (4,)
    assert [name.startswith("e5") for name, _ in embedder.seen] == [True, True]
    assert {nice for _, nice in embedder.seen} == {min(19, ours + 5)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # the caller's thread is untouched


async def test_without_a_thread_the_default_executor_embeds_at_the_callers_priority() -> None:
    embedder = WhereEmbedded()
    await KnowledgeBase(None, embedder).embed_query("hello")
    assert embedder.seen[0][1] == os.getpriority(os.PRIO_PROCESS, 0)
