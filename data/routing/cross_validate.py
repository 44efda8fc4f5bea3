"""Cross-validate the triage training over every hand-labelled message.

The evaluation set says how the shipped model does on 626 messages; it cannot say how
the way the model is built generalises, since the model was tuned looking at it. This
splits all hand-labelled messages (the hand-written ``train``, ``calib``, ``eval``,
``fresh`` and ``holdout`` pools and the hand-labelled real ``eval`` rows) into five
folds by a hash of their text; each fold is scored by a model trained on everything
else (the evaluation set of the other folds included) and calibrated on the
calibration pool without the fold. So it measures the method, not the shipped model.

``--without-section`` leaves out of training the last ``## train`` section of each
hand-written file (the second tuning pass's boundary messages), to compare before and
after; those messages are never in a test fold, so both runs score the same messages.

Run: ``python data/routing/cross_validate.py [--without-section]`` (five trainings,
a few minutes on one core).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from services.routing.tools import train  # noqa: E402
from services.routing.tools.triage_data import REAL, Row, load_pools, overlap_key  # noqa: E402
from services.routing.tools.triage_eval import predict  # noqa: E402
from services.routing.triage.model import TriageModel  # noqa: E402

FOLDS = 5


def last_train_section() -> set[str]:
    """Texts (as compared across pools) of the last ``## train`` section of each file."""
    keys = set()
    for path in sorted((REAL / "handwritten").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if "\n## train\n" not in text:
            continue
        for line in text.rsplit("\n## train\n", 1)[1].splitlines():
            if line.startswith("## "):
                break
            if line.strip() and not line.startswith("#"):
                keys.add(overlap_key(line.split(" | ", 3)[3].replace("\\n", "\n")))
    return keys


def fold_of(row: Row) -> int:
    return int(hashlib.sha256(overlap_key(row["text"]).encode()).hexdigest()[:8], 16) % FOLDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without-section", action="store_true")
    args = parser.parse_args()
    pools = load_pools()
    boundary = last_train_section()
    learnt = [
        r for r in pools.train if not (args.without_section and overlap_key(r["text"]) in boundary)
    ]
    held = [*pools.eval, *pools.fresh, *pools.holdout]
    labelled = [
        r
        for r in (*learnt, *pools.calib, *held)
        if r.get("labels") == "hand" and overlap_key(r["text"]) not in boundary
    ]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for k in range(FOLDS):
        test = [r for r in labelled if fold_of(r) == k]
        keys = {overlap_key(r["text"]) for r in test}
        rows = [r for r in (*learnt, *held) if overlap_key(r["text"]) not in keys]
        calib = [r for r in pools.calib if overlap_key(r["text"]) not in keys]
        model = TriageModel(train.calibrate(train.fit(rows), calib))
        for row, out in zip(test, predict(model, test), strict=True):
            for key in ("all", row["lang"]):
                counts[key][0] += 1
                counts[key][1] += out.category == row["category"]
                counts[key][2] += out.urgency == row["urgency"]
    print("| slice | n | category accuracy | urgency accuracy |")
    print("| --- | --: | --: | --: |")
    for key, (n, category, urgency) in sorted(counts.items()):
        print(f"| {key} | {n} | {category / n:.3f} | {urgency / n:.3f} |")


if __name__ == "__main__":
    main()
