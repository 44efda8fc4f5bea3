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

Each fold is also scored with the e5 second stage (``services.routing.tools.train_second``,
trained on the fold's training rows): category accuracy of the first stage alone and of
first + second stage for each threshold in ``--below`` (the texts whose first-stage
category confidence is under it take the second stage), per language, with the share
of texts that took it; then urgency and sentiment over the whole path (both e5 heads —
category and sentiment — then the rules), at the first ``--c``. This is where the shipped
threshold is chosen, on training data, never on the evaluation set.

Run: ``python data/routing/cross_validate.py [--without-section] [--below 0.4 0.5 0.6]
[--c 10]`` (five trainings, a few minutes on one core; e5 embeddings are cached in
``.data/triage-e5.npz``, the first run embeds about 9,000 texts).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from itertools import product
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import numpy as np  # noqa: E402

from services.routing.tools import train, train_second  # noqa: E402
from services.routing.tools.e5_cache import E5Cache  # noqa: E402
from services.routing.tools.triage_data import REAL, Row, load_pools, overlap_key  # noqa: E402
from services.routing.tools.triage_eval import predict  # noqa: E402
from services.routing.triage.model import TriageModel  # noqa: E402
from services.routing.triage.second_stage import SecondStage, average  # noqa: E402

FOLDS = 5
BELOW = (0.4, 0.5, 0.6, 0.7, 1.01)


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
    parser.add_argument("--below", type=float, nargs="*", default=list(BELOW))
    parser.add_argument("--c", type=float, nargs="*", default=[train_second.C])
    args = parser.parse_args()
    pools = load_pools()
    cache = E5Cache()
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
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for k in range(FOLDS):
        test = [r for r in labelled if fold_of(r) == k]
        keys = {overlap_key(r["text"]) for r in test}
        rows = [r for r in (*learnt, *held) if overlap_key(r["text"]) not in keys]
        calib = [r for r in pools.calib if overlap_key(r["text"]) not in keys]
        model = TriageModel(train.calibrate(train.fit(rows), calib))
        score_fold(model, rows, test, cache, args, counts)
        print(f"fold {k + 1} of {FOLDS} done", file=sys.stderr)
    cache.save()
    show(counts, args.below, args.c)


def score_fold(
    model: TriageModel,
    rows: list[Row],
    test: list[Row],
    cache: E5Cache,
    args: argparse.Namespace,
    counts: dict[str, Counter[str]],
) -> None:
    """Count one fold's test rows right: the first stage alone, then with an e5 head (trained
    on the fold's rows) for each C and threshold."""
    alone = predict(model, test)
    reads = [model.first_read(r["text"]) for r in test]
    vectors = cache.vectors([r["text"] for r in test])
    for row, out in zip(test, alone, strict=True):
        for key in ("all", row["lang"]):
            counts[key]["n"] += 1
            counts[key]["first"] += out.category == row["category"]
            counts[key]["urgency"] += out.urgency == row["urgency"]
            counts[key]["sentiment"] += out.sentiment == row["sentiment"]
    for c in args.c:
        head = train_second.fit_head(rows, cache, c) | {"below": 1.01}
        stage = SecondStage.from_artifact(head, model.heads["category"].classes)
        assert stage is not None
        e5 = stage.e5_probabilities(vectors)
        for i, (row, out, read) in enumerate(zip(test, alone, reads, strict=True)):
            both = stage.classes[int(np.argmax(average(read.probabilities["category"], e5[i])))]
            for key, below in product(("all", row["lang"]), args.below):
                took = read.worded and read.category_confidence < below
                counts[key][f"took {below}"] += took
                counts[key][f"cat {c} {below}"] += (both if took else out.category) == row[
                    "category"
                ]
        if c != args.c[0]:
            continue
        sentiment = train_second.fit_head(rows, cache, c, "sentiment") | {"below": 1.0}
        stage_s = SecondStage.from_artifact(sentiment, model.heads["sentiment"].classes)
        assert stage_s is not None
        model.second_fields = {"sentiment": stage_s}
        for below in args.below:  # the whole path: both heads, then the rules
            model.second_stage = replace(stage, below=below)
            for row, out in zip(test, predict(model, test, cache.one), strict=True):
                for key in ("all", row["lang"]):
                    counts[key][f"urgency {below}"] += out.urgency == row["urgency"]
                    counts[key][f"sentiment {below}"] += out.sentiment == row["sentiment"]


def show(counts: dict[str, Counter[str]], thresholds: list[float], cs: list[float]) -> None:
    heads = " | ".join(f"+ e5 below {b:g}" for b in thresholds)
    for c in cs:
        print(f"\ne5 head C = {c:g}\n")
        print(f"| slice | n | urgency accuracy | category: first stage | {heads} |")
        print("| --- | --: | --: | --: |" + " --: |" * len(thresholds))
        for key, n_ in sorted(counts.items()):
            n = n_["n"]
            took = {b: n_[f"took {b}"] / len(cs) / n for b in thresholds}
            cells = " | ".join(f"{n_[f'cat {c} {b}'] / n:.3f} ({took[b]:.0%})" for b in thresholds)
            print(f"| {key} | {n} | {n_['urgency'] / n:.3f} | {n_['first'] / n:.3f} | {cells} |")
    print("\n(in brackets: the share of texts that took the second stage)\n")
    for field in ("urgency", "sentiment"):
        print(f"\n| slice | {field}: first stage | " + heads + " |")
        print("| --- | --: |" + " --: |" * len(thresholds))
        for key, n_ in sorted(counts.items()):
            cells = " | ".join(f"{n_[f'{field} {b}'] / n_['n']:.3f}" for b in thresholds)
            print(f"| {key} | {n_[field] / n_['n']:.3f} | {cells} |")


if __name__ == "__main__":
    main()
