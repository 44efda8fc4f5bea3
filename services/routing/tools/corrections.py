"""Export agents' corrections in the triage trainer's format (``data/routing/corrections.jsonl``).

``python -m services.routing.tools.corrections`` (``make export-corrections``) reads
every tenant's corrections from routing's store (``MONGO_URL``,
``TRIPCARE_NAMESPACE``) and appends the ones the file does not hold yet; then
``make train-routing`` learns from them. Managers can download their own
tenant's rows from ``GET /v1/corrections``.

The rows themselves (masked, a fifth held out) are
``services.routing.triage.corrections``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from runtime.settings import Settings
from runtime.store import mongo_client
from services.routing.domain.corrections import Correction
from services.routing.store import CORRECTIONS
from services.routing.triage.corrections import training_rows

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_OUT = ROOT / "data" / "routing" / "corrections.jsonl"


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
