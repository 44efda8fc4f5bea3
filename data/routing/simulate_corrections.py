"""Simulate one batch of agents' corrections from real text the model has never seen.

Agents correct the category of tickets the model misroutes; ``make export-corrections``
appends those corrections to ``data/routing/corrections.jsonl`` and ``make
train-routing`` learns from them. Until real agents have corrected enough tickets,
this script stands in for one batch, honestly labelled as simulated: it classifies a
seeded sample of the real sets' reserved share (dialogues in no pool and in no
evaluation row, ``build_real.py --reserved``) with the committed model, and appends
every message whose category the model got wrong as a correction — the category an
agent would set (the set's mapped label) with the model's own urgency and sentiment,
as the real export does. A fifth of them (by a hash of the text) is held out as
``test``. Rows carry ``source: simulated-correction:<set>``.

Run: ``python data/routing/simulate_corrections.py [--sample N]``; then
``make train-routing`` shows the accuracy on the real evaluation set with and without
the batch in ``docs/routing-eval.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import build_real  # noqa: E402

from services.routing.tools.corrections import merge  # noqa: E402
from services.routing.tools.triage_data import CORRECTIONS  # noqa: E402
from services.routing.triage.model import TriageModel  # noqa: E402

SEED = 20250301
HELD_OUT_EVERY = 5


def split_for(text: str) -> str:
    return "test" if hashlib.sha256(text.encode()).digest()[0] % HELD_OUT_EVERY == 0 else "train"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path)
    parser.add_argument("--sample", type=int, default=1500, help="reserved rows to classify")
    parser.add_argument("--out", type=Path, default=CORRECTIONS)
    args = parser.parse_args()
    root = build_real.shared_root(args.shared)
    if root is None:
        raise SystemExit("no ../shared/data/real to draw real messages from; pass --shared")
    held_out = build_real.held_out_keys()
    rows = [
        row
        for name, read in build_real.SOURCES.items()
        for row in build_real.reserved(read(root), held_out)
    ]
    rows.sort(key=lambda r: (r.source, r.text))
    random.Random(SEED).shuffle(rows)
    sample = rows[: args.sample]
    model = TriageModel.load()
    answers = model.classify_batch([r.text for r in sample])
    corrections = [
        {
            "text": row.text,
            "lang": row.lang,
            "category": row.category,
            "urgency": triage.urgency,
            "sentiment": triage.sentiment,
            "source": f"simulated-correction:{row.source.split(':')[0]}",
            "split": split_for(row.text),
        }
        for row, triage in zip(sample, answers, strict=True)
        if triage.category != row.category
    ]
    added = merge(args.out, corrections)
    print(
        f"{len(sample)} reserved real messages classified, {len(corrections)} misrouted, "
        f"{added} new corrections in {args.out}"
    )
    print(json.dumps({"by_category": _count(corrections)}, ensure_ascii=False))


def _count(rows: list[dict[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["category"]] = counts.get(row["category"], 0) + 1
    return dict(sorted(counts.items()))


if __name__ == "__main__":
    main()
