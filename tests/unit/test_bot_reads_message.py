"""The bot's search reads what triage read: a mail's message without its signature and legal
disclaimer (``triage.text.message_of``), so a disclaimer can neither pull nor push an answer.
The handler level, on in-memory stores, with a fake embedder."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from services.routing.kb.articles import Article
from tests.unit.test_routing_handlers import Desk, seed  # noqa: F401  (fixture)

DIMENSIONS = 384
PASSWORD = "How do I reset my password?\n\nKind regards,\nAnn Lee"
DISCLAIMER = (
    "\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and intended "
    "solely for the addressee. If you have received it in error, please notify the sender "
    "immediately and delete it. Any use, copying or disclosure is strictly prohibited. "
    "Resetting, forwarding or storing this message without permission is not allowed.\n"
)


class Hashed:
    """A fixed pseudo-random unit vector per text: equal texts, equal vectors."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.texts += list(texts)
        rows = []
        for text in texts:
            digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
            row = np.random.default_rng(digest).standard_normal(DIMENSIONS)
            rows.append(row / np.linalg.norm(row))
        return np.asarray(rows, dtype=np.float32)


async def searched(seed: list[Article], text: str) -> tuple[str | None, list[str]]:  # noqa: F811
    """The bot's decision on a mail with ``text`` and what was embedded for it."""
    desk = Desk(seed)
    embedder = Hashed()
    desk.router.kb.embedder = embedder
    await desk.router.start()
    embedder.texts.clear()
    ticket = await desk.open(text, subject="Password")
    return (await desk.case(ticket)).bot_decision, embedder.texts


async def test_a_disclaimer_neither_pulls_nor_pushes_the_bots_answer(
    seed: list[Article],  # noqa: F811
) -> None:
    """A confident contact is not embedded for triage, so the bot embeds it itself: the
    message above the disclaimer, as triage read it, and the decision is the same."""
    plain = await searched(seed, PASSWORD)
    signed = await searched(seed, PASSWORD + DISCLAIMER)

    assert (plain[0] or "").startswith("best article"), plain
    assert plain[1] == [f"Password\n{PASSWORD}"]
    assert signed == plain
