"""The triage model's data: the template corpus, the real-text pools and how they are kept apart.

Four pools of labelled text, never overlapping (compared on ``overlap_key``):

* ``train`` — the template corpus' train split, real text mapped into TripCare's labels
  (``data/routing/real/<set>.jsonl``, pool ``train``), hand-written training messages
  and agents' corrections;
* ``calib`` — real held-out text the confidences are calibrated on (mapped rows of pool
  ``calib`` and hand-written ``calib`` messages);
* ``eval`` — the hand-labelled real-text evaluation set (``data/routing/real/eval/``
  and hand-written ``eval`` messages): measured, never trained or calibrated on;
* ``fresh`` — hand-written messages looked at only once, at the end, as a last check;
* ``holdout`` — a second set of hand-written messages, written before the second tuning
  pass and only ever scored as a whole (never read message by message while tuning).

A training or calibration row whose normalised text equals an evaluation or fresh
row's is dropped when the pools are assembled, whatever file it came from (the
template corpus has "ok thanks" too), and ``tests/unit/test_triage_data.py`` asserts
that none is left.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from contracts.taxonomy import CATEGORIES
from services.routing.triage.model import SENTIMENTS, URGENCIES, normalise

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "data" / "routing"
CORPUS = DATA / "corpus.jsonl"
REAL = DATA / "real"
CORRECTIONS = DATA / "corrections.jsonl"
LANGS = ("zh-Hans", "zh-Hant", "en", "ja")
LABELS = {"category": CATEGORIES, "urgency": URGENCIES, "sentiment": SENTIMENTS}
HANDWRITTEN = "hand-written"

Row = dict[str, str]

_NOT_WORD = re.compile(r"[\W_]+")


def overlap_key(text: str) -> str:
    """A text as compared across pools: the model's normalisation without spaces or
    punctuation, so "OK, thanks!" and "ok thanks" are the same text."""
    return _NOT_WORD.sub("", normalise(unicodedata.normalize("NFKC", text)))


def check(row: Row, where: str) -> Row:
    """The row, if its language and labels are TripCare's; else a ValueError naming it."""
    problems = [f for f, allowed in LABELS.items() if row.get(f) not in allowed]
    if row.get("lang") not in LANGS:
        problems.append("lang")
    if not str(row.get("text", "")).strip():
        problems.append("text")
    if problems:
        raise ValueError(f"{where}: bad {sorted(problems)}")
    return row


def read_rows(path: Path) -> list[Row]:
    """Labelled rows of a JSONL file, or of every ``*.jsonl`` in a directory (sorted)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path] if path.exists() else []
    rows = []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append(check(json.loads(line), f"{file}:{number}"))
    return rows


def read_handwritten(directory: Path) -> list[Row]:
    """The hand-written messages: ``<lang>.txt``, ``## <pool>`` sections, one message a line
    as ``category | urgency | sentiment | text``."""
    rows = []
    for file in sorted(directory.glob("*.txt")):
        lang, pool = file.stem, ""
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("## "):
                pool = line[3:].strip()
            elif line.strip() and not line.startswith("#"):
                category, urgency, sentiment, text = (p.strip() for p in line.split(" | ", 3))
                row = {
                    "text": text.replace("\\n", "\n"),
                    "lang": lang,
                    "category": category,
                    "urgency": urgency,
                    "sentiment": sentiment,
                    "source": HANDWRITTEN,
                    "pool": pool,
                    "labels": "hand",
                }
                rows.append(check(row, f"{file}:{number}"))
    return rows


@dataclass
class Pools:
    train: list[Row] = field(default_factory=list)
    calib: list[Row] = field(default_factory=list)
    eval: list[Row] = field(default_factory=list)
    fresh: list[Row] = field(default_factory=list)
    holdout: list[Row] = field(default_factory=list)
    templates_test: list[Row] = field(default_factory=list)
    """The template corpus' own held-out split: reported apart from real text, always."""
    corrections_test: list[Row] = field(default_factory=list)
    dropped: int = 0
    """Training and calibration rows dropped because an evaluation row has their text."""


def source_kind(row: Row) -> str:
    """templates, public (CLINC150/Bitext), hand-written or real (a named real set)."""
    source = row.get("source", "")
    if source.startswith("tripcare-synthetic"):
        return "templates"
    if source.startswith(("clinc150", "bitext")):
        return "public"
    if source == HANDWRITTEN:
        return HANDWRITTEN
    if source.startswith(("agent-correction", "seed-correction", "simulated-correction")):
        return "corrections"
    return "real"


def load_pools(
    corpus: Path = CORPUS,
    real: Path = REAL,
    corrections: Path | None = CORRECTIONS,
    *,
    with_corrections: bool = True,
) -> Pools:
    """Every pool, with training and calibration rows that repeat a held-out text dropped."""
    templates = read_rows(corpus)
    mapped = read_rows(real) if real.is_dir() else []
    hand = read_handwritten(real / "handwritten") if real.is_dir() else []
    fixes = read_rows(corrections) if corrections is not None and with_corrections else []

    pools = Pools(
        eval=[*read_rows(real / "eval"), *(r for r in hand if r["pool"] == "eval")],
        fresh=[r for r in hand if r["pool"] == "fresh"],
        holdout=[r for r in hand if r["pool"] == "holdout"],
        templates_test=[r for r in templates if r.get("split") == "test"],
        corrections_test=[r for r in fixes if r.get("split") == "test"],
    )
    held_out = {overlap_key(r["text"]) for r in (*pools.eval, *pools.fresh, *pools.holdout)}
    calib = [r for r in (*mapped, *hand) if r.get("pool") == "calib"]
    train = [
        *(r for r in templates if r.get("split", "train") == "train"),
        *(r for r in (*mapped, *hand) if r.get("pool") == "train"),
        *(r for r in fixes if r.get("split", "train") == "train"),
    ]
    pools.calib = [r for r in calib if overlap_key(r["text"]) not in held_out]
    held_out |= {overlap_key(r["text"]) for r in pools.calib}
    pools.train = [r for r in train if overlap_key(r["text"]) not in held_out]
    pools.dropped = len(calib) + len(train) - len(pools.calib) - len(pools.train)
    return pools
