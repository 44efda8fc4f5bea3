"""Agents' corrections as the triage trainer's rows (``data/routing/corrections.jsonl``).

Both ``GET /v1/corrections`` (a manager downloads their tenant's rows) and the offline
export (``services.routing.tools.corrections``) write them. Rows keep what the trainer
needs and no more: personal data (e-mail addresses, phone, ID and passport numbers) is
masked, and a fifth of the tickets (by a hash of the ticket id, so always the same
fifth) is held out as ``test`` to measure whether the corrections help.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from runtime.logging import mask_pii
from services.routing.domain.corrections import Correction

TRAINED_LANGUAGES = frozenset({"en", "zh-Hans", "zh-Hant", "ja"})
HELD_OUT_EVERY = 5


def split_for(ticket_id: str) -> str:
    digest = hashlib.sha256(ticket_id.encode()).digest()
    return "test" if digest[0] % HELD_OUT_EVERY == 0 else "train"


def training_row(correction: Correction) -> dict[str, str] | None:
    """The trainer's row for a correction; None when the trainer cannot use it."""
    if correction.language not in TRAINED_LANGUAGES:
        return None
    return {
        "text": mask_pii(correction.text),
        "lang": correction.language,
        "category": correction.category,
        "urgency": correction.urgency,
        "sentiment": correction.sentiment,
        "source": f"agent-correction:{correction.kind}",
        "split": split_for(correction.ticket_id),
    }


def training_rows(corrections: Iterable[Correction]) -> list[dict[str, str]]:
    return [row for row in map(training_row, corrections) if row is not None]
