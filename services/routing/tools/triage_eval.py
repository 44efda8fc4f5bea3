"""How well the triage model does, on real text first, and how that is written down.

One ``Slice`` per group of labelled rows (the real-text evaluation set, each of its
languages and sources, the templates' held-out split, the fresh check…): accuracy
and macro-F1 per field, the urgency confusion matrix, whether any critical message
fell below ``high``, and calibration (expected calibration error, the share right
among predictions made with confidence ≥ 0.9, a confidence-vs-accuracy table).
Language is scored on rows that have words: a bare number or link has no language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sklearn.metrics import f1_score

from contracts.taxonomy import CATEGORIES
from services.routing.tools.triage_data import Row, source_kind
from services.routing.triage.calibration import Band, ece, precision_above, reliability
from services.routing.triage.language import has_language
from services.routing.triage.model import URGENCIES, Embed, Triage, TriageModel

FIELDS = ("lang", "category", "urgency", "sentiment")
ACCEPTANCE = {
    "urgency accuracy": 0.85,
    "category accuracy (each language)": 0.90,
    "language accuracy": 0.99,
    "ECE (each field)": 0.05,
    "right at confidence ≥ 0.9 (each field)": 0.90,
}
CONFIDENT = 0.9


@dataclass
class FieldScore:
    n: int
    accuracy: float
    macro_f1: float
    ece: float
    confident_n: int
    confident_accuracy: float
    bands: list[Band]


@dataclass
class Slice:
    name: str
    n: int
    fields: dict[str, FieldScore] = field(default_factory=dict)
    urgency_confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    critical_below_high: int = 0
    category_confusion: dict[tuple[str, str], int] = field(default_factory=dict)


def predict(model: TriageModel, rows: Sequence[Row], embed: Embed | None = None) -> list[Triage]:
    """The model's answers; ``embed`` (text → E5 embedding) enables its second stage."""
    return model.classify_batch([r["text"] for r in rows], embed)


def _confidence(triage: Triage, name: str) -> float:
    value: float = getattr(triage, "lang_confidence" if name == "lang" else f"{name}_confidence")
    return value


def score(name: str, rows: Sequence[Row], predicted: Sequence[Triage]) -> Slice:
    """Every measure of one slice of labelled rows and the model's answers for them."""
    out = Slice(name, len(rows))
    for f in FIELDS:
        pairs = [
            (r[f], getattr(t, f), _confidence(t, f))
            for r, t in zip(rows, predicted, strict=True)
            if f != "lang" or has_language(r["text"])
        ]
        if not pairs:
            continue
        truth, guess, conf = zip(*pairs, strict=True)
        right = [a == b for a, b in zip(truth, guess, strict=True)]
        confident_n, confident_accuracy = precision_above(conf, right, CONFIDENT)
        out.fields[f] = FieldScore(
            n=len(pairs),
            accuracy=sum(right) / len(right),
            macro_f1=float(
                f1_score(truth, guess, labels=sorted(set(truth)), average="macro", zero_division=0)
            ),
            ece=ece(conf, right),
            confident_n=confident_n,
            confident_accuracy=confident_accuracy,
            bands=reliability(conf, right),
        )
    out.urgency_confusion = dict(
        Counter((r["urgency"], t.urgency) for r, t in zip(rows, predicted, strict=True))
    )
    out.critical_below_high = sum(
        1
        for r, t in zip(rows, predicted, strict=True)
        if r["urgency"] == "critical" and t.urgency in ("normal", "low")
    )
    out.category_confusion = dict(
        Counter((r["category"], t.category) for r, t in zip(rows, predicted, strict=True))
    )
    return out


def source_of(row: Row) -> str:
    """The source a row is reported under: hand-written, or the real set's name."""
    kind = source_kind(row)
    if kind != "real":
        return kind
    source = row.get("source", "")
    if source.startswith("crosswoz") and row["lang"] == "zh-Hant":
        return "crosswoz (zh-Hans converted to zh-Hant)"
    return source.split(":")[0].split("-")[0]


def slices(
    name: str, rows: Sequence[Row], predicted: Sequence[Triage], by: Callable[[Row], str]
) -> list[Slice]:
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(by(row), []).append(i)
    return [
        score(f"{name}: {key}", [rows[i] for i in idx], [predicted[i] for i in idx])
        for key, idx in sorted(groups.items())
    ]


def acceptance(real: Slice, per_lang: Sequence[Slice]) -> list[tuple[str, str, bool]]:
    """Each acceptance bar of the issue with the measured value and whether it holds."""
    f = real.fields
    fields = ("lang", "category", "urgency", "sentiment")
    worst_lang = min(per_lang, key=lambda s: s.fields["category"].accuracy)
    worst_ece = max(fields, key=lambda k: f[k].ece)
    worst_confident = min(fields, key=lambda k: f[k].confident_accuracy)
    return [
        (
            "urgency accuracy ≥ 0.85",
            f"{f['urgency'].accuracy:.3f}",
            f["urgency"].accuracy >= ACCEPTANCE["urgency accuracy"],
        ),
        (
            "no critical message below high",
            f"{real.critical_below_high} below",
            real.critical_below_high == 0,
        ),
        (
            "category accuracy ≥ 0.90 in each language",
            f"lowest {worst_lang.fields['category'].accuracy:.3f} "
            f"({worst_lang.name.split(': ')[-1]})",
            worst_lang.fields["category"].accuracy >= 0.90,
        ),
        (
            "language accuracy ≥ 0.99",
            f"{f['lang'].accuracy:.3f}",
            f["lang"].accuracy >= ACCEPTANCE["language accuracy"],
        ),
        (
            "ECE ≤ 0.05 (every field)",
            f"highest {f[worst_ece].ece:.3f} ({worst_ece})",
            f[worst_ece].ece <= ACCEPTANCE["ECE (each field)"],
        ),
        (
            "≥ 90 % right at confidence ≥ 0.9 (every field)",
            f"lowest {f[worst_confident].confident_accuracy:.3f} ({worst_confident})",
            f[worst_confident].confident_accuracy >= CONFIDENT,
        ),
    ]


# ---------------------------------------------------------------- Markdown


def table(rows: Sequence[Slice]) -> list[str]:
    lines = [
        "| slice | n | language acc | category acc | category macro-F1 | urgency acc "
        "| critical < high | sentiment acc |",
        "| --- | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for s in rows:
        f = s.fields
        lang = f"{f['lang'].accuracy:.3f}" if "lang" in f else "–"
        lines.append(
            f"| {s.name} | {s.n} | {lang} | {f['category'].accuracy:.3f} "
            f"| {f['category'].macro_f1:.3f} | {f['urgency'].accuracy:.3f} "
            f"| {s.critical_below_high} | {f['sentiment'].accuracy:.3f} |"
        )
    return lines


def calibration_table(s: Slice) -> list[str]:
    lines = [
        "| field | ECE | n at ≥ 0.9 | right at ≥ 0.9 |",
        "| --- | --: | --: | --: |",
    ]
    for name, f in s.fields.items():
        lines.append(f"| {name} | {f.ece:.3f} | {f.confident_n} | {f.confident_accuracy:.3f} |")
    return lines


def calibration_by_slice(rows: Sequence[Slice]) -> list[str]:
    """ECE and the share right at confidence ≥ 0.9, per field, one slice a row."""
    names = ("lang", "category", "urgency", "sentiment")
    lines = [
        "| slice | " + " | ".join(f"{n} ECE / right at ≥ 0.9" for n in names) + " |",
        "| --- |" + " --: |" * len(names),
    ]
    for s in rows:
        cells = [
            f"{s.fields[n].ece:.3f} / {s.fields[n].confident_accuracy:.2f}"
            if n in s.fields
            else "–"
            for n in names
        ]
        lines.append(f"| {s.name} | " + " | ".join(cells) + " |")
    return lines


def bands_table(s: Slice) -> list[str]:
    names = list(s.fields)
    header = "| confidence | " + " | ".join(f"{n}: n / mean conf / acc" for n in names) + " |"
    lines = [header, "| --- |" + " --: |" * len(names)]
    for i, band in enumerate(s.fields[names[0]].bands):
        cells = []
        for name in names:
            b = s.fields[name].bands[i]
            cells.append(f"{b.n} / {b.mean_confidence:.2f} / {b.accuracy:.2f}" if b.n else "0")
        lines.append(f"| {band.low:.2f}–{band.high:.2f} | " + " | ".join(cells) + " |")
    return lines


def urgency_matrix(s: Slice) -> list[str]:
    lines = [
        "| true \\ predicted | " + " | ".join(URGENCIES) + " |",
        "| --- |" + " --: |" * len(URGENCIES),
    ]
    for truth in URGENCIES:
        cells = [str(s.urgency_confusion.get((truth, guess), 0)) for guess in URGENCIES]
        lines.append(f"| {truth} | " + " | ".join(cells) + " |")
    return lines


def category_matrix(s: Slice) -> list[str]:
    short = [c[:8] for c in CATEGORIES]
    lines = ["| true \\ predicted | " + " | ".join(short) + " |", "| --- |" + " --: |" * len(short)]
    for truth in CATEGORIES:
        cells = [str(s.category_confusion.get((truth, guess), 0)) for guess in CATEGORIES]
        if any(c != "0" for c in cells):
            lines.append(f"| {truth} | " + " | ".join(cells) + " |")
    return lines
