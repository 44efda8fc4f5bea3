"""Calibrate the bot's answer threshold on labelled questions and report how it does.

``python -m services.routing.tools.kb_eval`` (``make calibrate-kb``) runs every question
of ``data/routing/kb_questions.jsonl`` through the bot's whole decision (triage,
the refusal rules, the embedding search over the seeded articles), picks on the
``calib`` split the lowest similarity threshold above which the precision of
auto-answers never drops below the target, writes it to
``services/routing/model/kb-threshold.json`` and reports precision and coverage
on the held-out ``test`` split in ``docs/routing-kb-eval.md``.

Each labelled row is ``{"text", "lang", "article": id or null, "split"}``; null
means no article answers it and the bot must stay out. A wrong article and an
answer to a null row both count against precision.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.events import Priority
from contracts.references import extract_references  # what intake sends on ticket.opened
from services.routing.classifier import classify, triage_view
from services.routing.domain.priority import (
    UrgencySignals,
    adjust_priority,
    is_negative,
    triage_priority,
)
from services.routing.kb.articles import (
    EMBEDDING_MODEL,
    THRESHOLD_FILE,
    E5Embedder,
    KnowledgeBase,
    answerable,
    best_of,
    load_seed,
)
from services.routing.kb.domain import KbMatch, bot_refusal
from services.routing.triage.model import default_model

ROOT = Path(__file__).resolve().parents[3]
QUESTIONS = ROOT / "data" / "routing" / "kb_questions.jsonl"
REPORT = ROOT / "docs" / "routing-kb-eval.md"
TARGET_PRECISION = 0.95
LANGS = ("en", "zh-Hans", "zh-Hant", "ja")


@dataclass(frozen=True)
class Outcome:
    row: dict[str, Any]
    refusal: str | None
    match: KbMatch | None

    @property
    def score(self) -> float:
        return self.match.score if self.match and self.refusal is None else float("-inf")

    def answered(self, threshold: float) -> bool:
        return self.score >= threshold

    def correct(self, threshold: float) -> bool:
        return (
            self.answered(threshold)
            and self.match is not None
            and self.match.article_id == self.row["article"]
        )


@dataclass(frozen=True)
class Score:
    questions: int
    answerable: int
    answered: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.answered if self.answered else 1.0

    @property
    def coverage(self) -> float:
        return self.correct / self.answerable if self.answerable else 0.0


def score(outcomes: list[Outcome], threshold: float) -> Score:
    return Score(
        questions=len(outcomes),
        answerable=sum(1 for o in outcomes if o.row["article"]),
        answered=sum(1 for o in outcomes if o.answered(threshold)),
        correct=sum(1 for o in outcomes if o.correct(threshold)),
    )


def choose_threshold(outcomes: list[Outcome], target: float) -> float:
    """The lowest threshold from which precision stays at or above ``target`` all the way up.

    It is put half-way between the last score kept and the first one that
    broke the target, so that rounding cannot let the latter in.
    """
    scores = sorted({o.score for o in outcomes if o.score > float("-inf")}, reverse=True)
    if not scores:
        return 1.0
    chosen, below = scores[0], None
    for candidate in scores:
        if score(outcomes, candidate).precision < target:
            below = candidate
            break
        chosen = candidate
    return chosen if below is None else round((chosen + below) / 2, 4)


async def evaluate(rows: list[dict[str, Any]]) -> tuple[list[Outcome], dict[str, list[float]]]:
    model = default_model()
    seed = load_seed()
    kb = KnowledgeBase(None, E5Embedder(), seed)
    model.classify("warm up: 你好 こんにちは")
    started = time.perf_counter()
    await kb.start()
    timings: dict[str, list[float]] = {"seed_s": [time.perf_counter() - started]}
    covered = answerable(seed)
    outcomes = []
    for row in rows:
        began = time.perf_counter()
        answer, query = await classify(model, kb.embed_query, row["text"])  # as routing does
        view = triage_view(answer)
        timings.setdefault("triage_ms", []).append((time.perf_counter() - began) * 1000)
        base = triage_priority(view.urgency, Priority.NORMAL)
        priority, _ = adjust_priority(base, UrgencySignals(negative_sentiment=is_negative(view)))
        refusal = bot_refusal(
            view,
            priority,
            bot_enabled=True,
            human_only=None,
            names_booking=bool(extract_references(row["text"])),
            answerable=covered,
        )
        match = None
        if refusal is None:
            if query is None:  # else triage's second stage embedded it already
                began = time.perf_counter()
                query = await kb.embed_query(row["text"])
                timings.setdefault("embed_ms", []).append((time.perf_counter() - began) * 1000)
            found = best_of(query, [a for a in seed if view.category in a.categories])
            match = found[0] if found else None
        outcomes.append(Outcome(row, refusal, match))
    return outcomes, timings


def _pct(value: float) -> str:
    return f"{value:.3f}"


def report(outcomes: list[Outcome], threshold: float, timings: dict[str, list[float]]) -> str:
    lines = [
        "# Knowledge-base bot — calibration and evaluation",
        "",
        "Generated by `make calibrate-kb` (`python -m services.routing.tools.kb_eval`) from "
        "`data/routing/kb_questions.jsonl`; decisions in [routing.md](routing.md).",
        "",
        f"- embeddings: `{EMBEDDING_MODEL}`; articles: `services/routing/kb_seed/`",
        f"- threshold **{threshold:.4f}**: the lowest similarity from which precision on the "
        f"calibration split stays ≥ {TARGET_PRECISION} at every higher threshold",
        "- an answer counts as correct only if it is the labelled article; answering a question "
        "labelled with no article counts as wrong",
        "",
        *_precision_lines(outcomes, threshold),
        *_mistake_lines(outcomes, threshold),
        *_cost_lines(timings, len(outcomes)),
    ]
    return "\n".join(lines)


def _precision_lines(outcomes: list[Outcome], threshold: float) -> list[str]:
    """Precision and coverage per split, per language and at thresholds near the chosen one."""
    calib = [o for o in outcomes if o.row["split"] == "calib"]
    test = [o for o in outcomes if o.row["split"] == "test"]
    lines = [
        "## Precision and coverage",
        "",
        "| split | questions | with an article | answered | correct | precision | coverage |",
        "| --- | --: | --: | --: | --: | --: | --: |",
    ]
    for name, part in (("calib", calib), ("test", test), ("all", outcomes)):
        s = score(part, threshold)
        lines.append(
            f"| {name} | {s.questions} | {s.answerable} | {s.answered} | {s.correct} | "
            f"{_pct(s.precision)} | {_pct(s.coverage)} |"
        )
    lines += [
        "",
        "Coverage is correct answers over questions that have an article.",
        "",
        "## Test split by language",
        "",
        "| language | questions | answered | correct | precision | coverage |",
        "| --- | --: | --: | --: | --: | --: |",
    ]
    for lang in LANGS:
        s = score([o for o in test if o.row["lang"] == lang], threshold)
        lines.append(
            f"| {lang} | {s.questions} | {s.answered} | {s.correct} | {_pct(s.precision)} | "
            f"{_pct(s.coverage)} |"
        )
    lines += [
        "",
        "## Test split at other thresholds",
        "",
        "| threshold | answered | precision | coverage |",
        "| --: | --: | --: | --: |",
    ]
    for step in range(-4, 5):
        t = round(threshold + step * 0.01, 4)
        s = score(test, t)
        lines.append(f"| {t:.4f} | {s.answered} | {_pct(s.precision)} | {_pct(s.coverage)} |")
    return lines


def _mistake_lines(outcomes: list[Outcome], threshold: float) -> list[str]:
    """Why the bot stayed out before searching, and the answers it got wrong."""
    refusals = Counter(
        (o.refusal or "").split(":")[0].split(" (")[0] for o in outcomes if o.refusal
    )
    wrong = [o for o in outcomes if o.answered(threshold) and not o.correct(threshold)]
    return [
        "",
        "## Why the bot stayed out before searching (all splits)",
        "",
        "| rule | questions |",
        "| --- | --: |",
        *(f"| {rule} | {n} |" for rule, n in refusals.most_common()),
        "",
        "## Wrong answers at the threshold (all splits)",
        "",
        *(
            [
                f"- `{o.row['text']}` ({o.row['split']}): answered "
                f"{o.match.article_id if o.match else ''} "
                f"at {o.score:.3f}, labelled {o.row['article']}"
                for o in wrong
            ]
            or ["None."]
        ),
    ]


def _cost_lines(timings: dict[str, list[float]], questions: int) -> list[str]:
    embed = timings.get("embed_ms", [0.0])
    triage = timings["triage_ms"]
    return [
        "",
        "## Cost (this machine, one process)",
        "",
        f"- embedding the seeded articles at start-up: {timings['seed_s'][0]:.2f} s",
        f"- embedding one contact: median {statistics.median(embed):.1f} ms, "
        f"p95 {_p95(embed):.1f} ms (for the bot: contacts that pass the refusal rules and "
        f"were not embedded by triage's second stage already, {len(embed)} of {questions})",
        f"- triage of one contact (its e5 second stage included when the first stage is "
        f"unsure): median {statistics.median(triage):.1f} ms, p95 {_p95(triage):.1f} ms",
        "",
    ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Calibrate the knowledge-base bot's threshold.")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--target", type=float, default=TARGET_PRECISION)
    args = parser.parse_args(argv)
    rows = [
        json.loads(line)
        for line in args.questions.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    outcomes, timings = asyncio.run(evaluate(rows))
    threshold = choose_threshold([o for o in outcomes if o.row["split"] == "calib"], args.target)
    test = score([o for o in outcomes if o.row["split"] == "test"], threshold)
    THRESHOLD_FILE.write_text(
        json.dumps(
            {
                "threshold": threshold,
                "target_precision": args.target,
                "embedding_model": EMBEDDING_MODEL,
                "test_precision": round(test.precision, 4),
                "test_coverage": round(test.coverage, 4),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    REPORT.write_text(report(outcomes, threshold, timings), encoding="utf-8")
    print(
        f"threshold {threshold:.4f}: test precision {test.precision:.3f}, "
        f"coverage {test.coverage:.3f} ({test.correct}/{test.answerable}); see {REPORT}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
