"""Export agents' corrections in the triage trainer's format (``data/routing/corrections.jsonl``).

``python -m services.routing.tools.corrections`` (``make export-corrections``) reads
every tenant's corrections from routing's store (``MONGO_URL``,
``TRIPCARE_NAMESPACE``) and appends the ones the file does not hold yet; then
``make train-routing`` learns from them. Managers can download their own
tenant's rows from ``GET /v1/corrections``.

Rows keep what the trainer needs and no more: personal data (e-mail
addresses, phone, ID and passport numbers) is masked, and a fifth of the
tickets (by a hash of the ticket id, so always the same fifth) is held out as
``test`` to measure whether the corrections help.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from runtime.logging import mask_pii
from runtime.settings import Settings
from runtime.store import mongo_client
from services.routing.domain import Correction
from services.routing.store import CORRECTIONS

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OUT = ROOT / "data" / "routing" / "corrections.jsonl"
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


def merge(path: Path, rows: Iterable[dict[str, str]]) -> int:
    """Append rows whose text and category the file does not hold yet; returns how many."""
    existing: list[dict[str, Any]] = []
    if path.exists():
        existing = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    seen = {(r["text"], r["category"]) for r in existing}
    added = []
    for row in rows:
        if (row["text"], row["category"]) not in seen:
            seen.add((row["text"], row["category"]))
            added.append(row)
    with path.open("a", encoding="utf-8") as out:
        for row in added:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(added)


async def read_corrections(
    settings: Settings, tenant: str | None, since: datetime | None
) -> list[Correction]:
    client = mongo_client(settings.mongo_url)
    try:
        query: dict[str, Any] = {} if tenant is None else {"tenant_id": tenant}
        if since is not None:
            query["at"] = {"$gte": since}
        cursor = client[settings.database][CORRECTIONS].find(query).sort("at", 1)
        return [Correction.model_validate(doc) async for doc in cursor]
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Append stored corrections to the trainer's file.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tenant", help="one tenant only")
    parser.add_argument("--since", type=datetime.fromisoformat, help="ISO date or time")
    args = parser.parse_args(argv)
    settings = Settings(service="routing")
    corrections = asyncio.run(read_corrections(settings, args.tenant, args.since))
    rows = training_rows(corrections)
    added = merge(args.out, rows)
    print(f"{len(corrections)} corrections, {len(rows)} usable, {added} new rows in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
