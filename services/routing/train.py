"""Train the triage model and evaluate it on the held-out split.

``python -m services.routing.train`` fits TF-IDF character n-grams and one
logistic-regression head per field on the ``train`` split of
``data/routing/corpus.jsonl`` plus the agents' corrections
(``data/routing/corrections.jsonl``, same fields, when it exists), writes the
versioned artifact and its metadata to ``services/routing/model/`` and the
evaluation report to ``docs/routing-eval.md``. Everything is seeded and the solvers
are deterministic, so the same data gives the same model.

``python -m services.routing.train --eval`` evaluates the committed artifact on the
held-out split and prints the numbers, without training.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import GroupKFold
from sklearn.svm import LinearSVC

from contracts.taxonomy import CATEGORIES
from services.routing.triage import (
    DEFAULT_ARTIFACT,
    FIELDS,
    MODEL_DIR,
    MODEL_VERSION,
    SENTIMENTS,
    TRAVEL_NOW,
    URGENCIES,
    TriageModel,
    normalise,
    urgency_signals,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "routing" / "corpus.jsonl"
CORRECTIONS = ROOT / "data" / "routing" / "corrections.jsonl"
REPORT = ROOT / "docs" / "routing-eval.md"
METADATA = MODEL_DIR / f"{MODEL_VERSION}.json"
LANGS = ("en", "zh-Hans", "zh-Hant", "ja")
LABELS = {"category": CATEGORIES, "urgency": URGENCIES, "sentiment": SENTIMENTS}

SEED = 20241125
# A correction is an agent's deliberate fix of a real misroute: worth more than one
# generated example.
CORRECTION_WEIGHT = 3.0
VECTORIZER = {
    "analyzer": "char",
    "ngram_range": (1, 4),
    "min_df": 2,
    "max_features": 60_000,
    "sublinear_tf": True,
    "lowercase": False,
    "dtype": np.float32,
}
HEAD_C = {"category": 0.5, "urgency": 0.5, "sentiment": 0.5}
CALIBRATION_FOLDS = 3
ACCEPTANCE = {"category_macro_f1": 0.90, "lang_accuracy": 0.99, "urgency_accuracy": 0.85}

Row = dict[str, str]


def load_rows(path: Path) -> list[Row]:
    """Read a JSONL file of labelled examples and refuse labels outside the taxonomy."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        problems = [
            f for f in ("text", "lang", "category", "urgency", "sentiment") if not row.get(f)
        ]
        if row.get("lang") not in LANGS:
            problems.append("lang")
        problems += [f for f in FIELDS if row.get(f) not in LABELS[f]]
        if row.get("split", "train") not in ("train", "test"):
            problems.append("split")
        if problems:
            raise ValueError(f"{path}:{number}: bad {sorted(set(problems))}")
        row.setdefault("split", "train")
        rows.append(row)
    return rows


def fit(rows: Sequence[Row], weights: Sequence[float]) -> dict[str, Any]:
    """The artifact: a fitted vectorizer and, per field, classes, weights and biases."""
    vectorizer = TfidfVectorizer(**VECTORIZER)
    features = vectorizer.fit_transform([normalise(r["text"]) for r in rows])
    sample_weight = np.asarray(weights, dtype=np.float64)
    groups = [template_group(r, i) for i, r in enumerate(rows)]
    heads = {}
    for name in FIELDS:
        labels = np.asarray([r[name] for r in rows])
        heads[name] = fit_head(features, labels, sample_weight, groups, HEAD_C[name], name)
    return {"version": MODEL_VERSION, "vectorizer": vectorizer, "heads": heads}


def template_group(row: Row, index: int) -> str:
    """Rows from one template share a group, so out-of-fold scores are on unseen phrasing."""
    source = row.get("source", "")
    return source if source.startswith("tripcare-synthetic:") else f"{source}:{index % 5}"


def fit_head(
    features: Any,
    labels: NDArray[Any],
    weights: NDArray[np.float64],
    groups: list[str],
    c: float,
    name: str,
) -> dict[str, Any]:
    """A linear SVM whose scores, times a fitted temperature, softmax into probabilities.

    The temperature minimises the log-loss of out-of-fold scores on held-out templates,
    so the confidences reflect how the model does on phrasing it has not seen; the
    result is still one linear layer, folded into the stored weights.
    """

    def svm() -> LinearSVC:
        return LinearSVC(
            C=c, class_weight=None if name == "category" else "balanced", random_state=SEED
        )

    classes = np.unique(labels)
    out_of_fold = np.zeros((len(labels), len(classes)))
    for fit_idx, score_idx in GroupKFold(n_splits=CALIBRATION_FOLDS).split(
        features, labels, groups
    ):
        model = svm().fit(features[fit_idx], labels[fit_idx], sample_weight=weights[fit_idx])
        columns = np.searchsorted(classes, model.classes_)
        out_of_fold[np.ix_(score_idx, columns)] = model.decision_function(features[score_idx])
    temperature = fit_temperature(out_of_fold, np.searchsorted(classes, labels))
    model = svm().fit(features, labels, sample_weight=weights)
    return {
        "classes": [str(c) for c in model.classes_],
        "coef": (model.coef_ * temperature).astype(np.float32),
        "intercept": (model.intercept_ * temperature).astype(np.float32),
        "temperature": float(temperature),
    }


def fit_temperature(scores: NDArray[np.float64], truth: NDArray[np.intp]) -> float:
    """The scale of the scores that gives the lowest log-loss (a grid: deterministic)."""
    best, best_loss = 1.0, np.inf
    for temperature in np.geomspace(0.25, 40.0, 120):
        logits = scores * temperature
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -float(log_probs[np.arange(len(truth)), truth].mean())
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


# ---------------------------------------------------------------- evaluation


@dataclass
class Scores:
    n: int
    accuracy: float
    macro_f1: float


@dataclass
class Evaluation:
    overall: dict[str, Scores] = field(default_factory=dict)
    per_lang: dict[str, dict[str, Scores]] = field(default_factory=dict)
    confusion: list[list[int]] = field(default_factory=list)
    model_only_urgency: Scores | None = None
    lang_confusion: dict[str, Counter[str]] = field(default_factory=dict)


def scores(truth: Sequence[str], predicted: Sequence[str]) -> Scores:
    """Macro-F1 averages over the classes present in the truth, so a slice without
    (say) positive examples is not penalised for an empty class."""
    return Scores(
        n=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(
            f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)
        ),
    )


def evaluate(model: TriageModel, rows: Sequence[Row]) -> Evaluation:
    """Accuracy and macro-F1 per field, overall and per language, through the full pipeline."""
    results = []
    for start in range(0, len(rows), 512):
        results += model.classify_batch([r["text"] for r in rows[start : start + 512]])
    predicted: dict[str, list[str]] = {
        "lang": [t.lang for t in results],
        "category": [t.category for t in results],
        "urgency": [t.urgency for t in results],
        "sentiment": [t.sentiment for t in results],
    }
    out = Evaluation()
    for name, guesses in predicted.items():
        out.overall[name] = scores([r[name] for r in rows], guesses)
    for lang in LANGS:
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        if not idx:
            continue
        out.per_lang[lang] = {
            name: scores([rows[i][name] for i in idx], [g[i] for i in idx])
            for name, g in predicted.items()
        }
        out.lang_confusion[lang] = Counter(predicted["lang"][i] for i in idx)
    out.confusion = confusion_matrix(
        [r["category"] for r in rows], predicted["category"], labels=list(CATEGORIES)
    ).tolist()
    raw = model.probabilities([normalise(r["text"]) for r in rows])["urgency"]
    classes = model.heads["urgency"].classes
    out.model_only_urgency = scores(
        [r["urgency"] for r in rows], [classes[int(k)] for k in raw.argmax(axis=1)]
    )
    return out


def signal_precision(rows: Sequence[Row]) -> dict[str, tuple[int, float]]:
    """How often each explicit urgency cue agrees with the label, on the given rows."""
    hits: dict[str, list[bool]] = {"critical": [], "high": [], "low": []}
    for row in rows:
        for signal in urgency_signals(normalise(row["text"])):
            if signal == "critical" and row["category"] not in TRAVEL_NOW:
                continue
            hits[signal].append(row["urgency"] == signal)
    return {k: (len(v), sum(v) / len(v) if v else 0.0) for k, v in hits.items()}


# ---------------------------------------------------------------- report


def table(evaluation: Evaluation) -> list[str]:
    lines = [
        "| slice | n | lang acc | category acc | category macro-F1 "
        "| urgency acc | urgency macro-F1 | sentiment acc | sentiment macro-F1 |",
        "| --- | --: | --: | --: | --: | --: | --: | --: | --: |",
    ]
    slices = [("all", evaluation.overall), *evaluation.per_lang.items()]
    for name, s in slices:
        lines.append(
            f"| {name} | {s['category'].n} | {s['lang'].accuracy:.3f} "
            f"| {s['category'].accuracy:.3f} | {s['category'].macro_f1:.3f} "
            f"| {s['urgency'].accuracy:.3f} | {s['urgency'].macro_f1:.3f} "
            f"| {s['sentiment'].accuracy:.3f} | {s['sentiment'].macro_f1:.3f} |"
        )
    return lines


def confusion_lines(evaluation: Evaluation) -> list[str]:
    short = [c[:8] for c in CATEGORIES]
    lines = ["| true \\ predicted | " + " | ".join(short) + " |"]
    lines.append("| --- |" + " --: |" * len(short))
    for name, row in zip(CATEGORIES, evaluation.confusion, strict=True):
        lines.append(f"| {name} | " + " | ".join(str(v) for v in row) + " |")
    return lines


def acceptance(evaluation: Evaluation) -> dict[str, tuple[float, float, bool]]:
    measured = {
        "category_macro_f1": evaluation.overall["category"].macro_f1,
        "lang_accuracy": evaluation.overall["lang"].accuracy,
        "urgency_accuracy": evaluation.overall["urgency"].accuracy,
    }
    return {k: (measured[k], bar, measured[k] >= bar) for k, bar in ACCEPTANCE.items()}


def print_evaluation(evaluation: Evaluation, out: Any = sys.stdout) -> None:
    print("\n".join(table(evaluation)), file=out)
    print("\ncategory confusion matrix (rows: true, columns: predicted)", file=out)
    print("\n".join(confusion_lines(evaluation)), file=out)
    for name, (value, bar, ok) in acceptance(evaluation).items():
        print(f"{name}: {value:.3f} (bar {bar}) {'ok' if ok else 'BELOW'}", file=out)


def write_report(
    path: Path,
    evaluation: Evaluation,
    meta: dict[str, Any],
    corrections: dict[str, Any],
    signals: dict[str, tuple[int, float]],
) -> None:
    only = evaluation.model_only_urgency
    assert only is not None
    lines = [
        "# Routing triage model — evaluation",
        "",
        "Generated by `make train-routing` (`python -m services.routing.train`); "
        "`make eval-routing` re-measures the committed artifact. Data: "
        "[data/routing/DATA_CARD.md](../data/routing/DATA_CARD.md).",
        "",
        f"- model: `{MODEL_VERSION}` — TF-IDF character 1–4-grams "
        f"({meta['features']:,} features) + one linear SVM per field, scores turned into "
        "probabilities by a softmax with a temperature fitted on held-out templates",
        f"- trained on {meta['train_rows']:,} examples ({meta['corrections_train']} agent "
        f"corrections, weight {CORRECTION_WEIGHT}); evaluated on the "
        f"{meta['test_rows']:,}-example held-out split (templates and modifier phrases "
        "never seen in training)",
        f"- training time: {meta['training_seconds']:.1f} s on 2 cores; artifact "
        f"{meta['artifact_bytes'] / 1e6:.1f} MB",
        f"- scikit-learn {meta['sklearn']}, corpus sha256 `{meta['corpus_sha256'][:16]}…`",
        "",
        "## Acceptance",
        "",
        "| measure | held-out | bar | |",
        "| --- | --: | --: | --- |",
    ]
    for name, (value, bar, ok) in acceptance(evaluation).items():
        lines.append(f"| {name} | {value:.3f} | {bar} | {'met' if ok else 'NOT met'} |")
    lines += [
        "",
        "## Per field and language (held-out split)",
        "",
        *table(evaluation),
        "",
        "Language is scored against the label of the example; `other` counts as wrong. "
        "Detected languages per labelled language: "
        + "; ".join(
            f"{lang}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common())
            for lang, counts in evaluation.lang_confusion.items()
        )
        + ".",
        "",
        "## Urgency: model and explicit cues",
        "",
        f"The model alone scores urgency accuracy {only.accuracy:.3f} "
        f"(macro-F1 {only.macro_f1:.3f}); with the explicit cues of "
        "`services/routing/triage.py` (`apply_urgency_signals`) it scores "
        f"{evaluation.overall['urgency'].accuracy:.3f}. Precision of each cue on the "
        "training split (the cue's class vs the label):",
        "",
        "| cue | hits (train) | precision |",
        "| --- | --: | --: |",
    ]
    for name, (n, precision) in signals.items():
        lines.append(f"| {name} | {n} | {precision:.3f} |")
    lines += ["", "## Agent corrections", ""]
    if corrections["rows"] == 0:
        lines.append(
            "No `data/routing/corrections.jsonl`: nothing to add. Agents' corrections in "
            "the corpus format are picked up by the next `make train-routing`."
        )
    else:
        lines += [
            f"{corrections['rows']} corrections ({corrections['train']} trained on with "
            f"weight {CORRECTION_WEIGHT}, {corrections['test']} held out). The same "
            "training without them, for comparison:",
            "",
            "| evaluated on | measure | without corrections | with corrections |",
            "| --- | --- | --: | --: |",
        ]
        for where, before, after in corrections["comparisons"]:
            for name in ("category", "urgency", "sentiment"):
                lines.append(
                    f"| {where} | {name} accuracy | {before[name].accuracy:.3f} "
                    f"| {after[name].accuracy:.3f} |"
                )
    lines += [
        "",
        "## Category confusion matrix (held-out split)",
        "",
        "Rows are the true category, columns the predicted one (same order, truncated names).",
        "",
        *confusion_lines(evaluation),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------- commands


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(args: argparse.Namespace) -> int:
    corpus = load_rows(args.corpus)
    corrections = load_rows(args.corrections) if args.corrections.exists() else []
    train_rows = [r for r in corpus if r["split"] == "train"]
    test_rows = [r for r in corpus if r["split"] == "test"]
    fixes = [r for r in corrections if r["split"] == "train"]
    fixes_test = [r for r in corrections if r["split"] == "test"]

    started = time.perf_counter()
    artifact = fit(
        [*train_rows, *fixes], [1.0] * len(train_rows) + [CORRECTION_WEIGHT] * len(fixes)
    )
    seconds = time.perf_counter() - started
    model = TriageModel(artifact)
    evaluation = evaluate(model, test_rows)

    comparisons: list[tuple[str, dict[str, Scores], dict[str, Scores]]] = []
    if corrections:
        baseline = TriageModel(fit(train_rows, [1.0] * len(train_rows)))
        comparisons.append(
            ("held-out split", evaluate(baseline, test_rows).overall, evaluation.overall)
        )
        if fixes_test:
            comparisons.append(
                (
                    "held-out corrections",
                    evaluate(baseline, fixes_test).overall,
                    evaluate(model, fixes_test).overall,
                )
            )

    args.artifact.parent.mkdir(parents=True, exist_ok=True)
    artifact["metadata"] = {"version": MODEL_VERSION, "corpus_sha256": sha256(args.corpus)}
    joblib.dump(artifact, args.artifact, compress=("zlib", 6))
    vocabulary = len(artifact["vectorizer"].vocabulary_)
    meta: dict[str, Any] = {
        "version": MODEL_VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "artifact": args.artifact.name,
        "artifact_bytes": args.artifact.stat().st_size,
        "artifact_sha256": sha256(args.artifact),
        "corpus_sha256": sha256(args.corpus),
        "corrections_sha256": sha256(args.corrections) if corrections else None,
        "train_rows": len(train_rows) + len(fixes),
        "test_rows": len(test_rows),
        "corrections_train": len(fixes),
        "corrections_test": len(fixes_test),
        "features": vocabulary,
        "vectorizer": {k: str(v) for k, v in VECTORIZER.items()},
        "head_C": HEAD_C,
        "seed": SEED,
        "sklearn": sklearn.__version__,
        "training_seconds": round(seconds, 2),
        "labels": {name: list(LABELS[name]) for name in FIELDS},
        "held_out": {
            name: {"accuracy": round(s.accuracy, 4), "macro_f1": round(s.macro_f1, 4)}
            for name, s in evaluation.overall.items()
        },
    }
    args.metadata.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    write_report(
        args.report,
        evaluation,
        meta,
        {
            "rows": len(corrections),
            "train": len(fixes),
            "test": len(fixes_test),
            "comparisons": comparisons,
        },
        signal_precision(train_rows),
    )
    size = meta["artifact_bytes"]
    print(f"trained {MODEL_VERSION} in {seconds:.1f} s: {args.artifact} ({size:,} B)")
    print_evaluation(evaluation)
    return 0 if all(ok for *_, ok in acceptance(evaluation).values()) else 1


def evaluate_committed(args: argparse.Namespace) -> int:
    test_rows = [r for r in load_rows(args.corpus) if r["split"] == "test"]
    model = TriageModel.load(args.artifact)
    print(f"{model.version} on {len(test_rows):,} held-out examples of {args.corpus.name}")
    evaluation = evaluate(model, test_rows)
    print_evaluation(evaluation)
    return 0 if all(ok for *_, ok in acceptance(evaluation).values()) else 1


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train or evaluate the routing triage model.")
    parser.add_argument("--eval", action="store_true", help="evaluate the committed artifact")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--corrections", type=Path, default=CORRECTIONS)
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--metadata", type=Path, default=METADATA)
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(list(argv) if argv is not None else None)
    return evaluate_committed(args) if args.eval else train(args)


if __name__ == "__main__":
    raise SystemExit(main())
