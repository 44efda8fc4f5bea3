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
answer to a null row both count against precision. Rows with ``"kind": "off-topic"``
are other domains' questions (a bank card's PIN, a gym membership's refund), split
like the rest; ``data/routing/kb_offtopic_banking77.jsonl`` (real BANKING77 test
questions, none written for this) is a further test of refusal, never calibrated on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
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
from services.routing.kb.domain import NEAR_MISS_MARGIN, bot_refusal, searched_categories
from services.routing.tools.kb_report import (
    TARGET_PRECISION,
    Outcome,
    choose_threshold,
    report,
    score,
    travel,
)
from services.routing.triage.model import default_model
from services.routing.triage.readings import personal_emergency

ROOT = Path(__file__).resolve().parents[3]
QUESTIONS = ROOT / "data" / "routing" / "kb_questions.jsonl"
BANKING77 = ROOT / "data" / "routing" / "kb_offtopic_banking77.jsonl"
REPORT = ROOT / "docs" / "routing-kb-eval.md"


def read_rows(questions: Path, banking77: Path) -> list[dict[str, Any]]:
    """The labelled questions, then BANKING77's as the ``external`` split (``kind``
    ``banking77``, or ``banking77-passcode`` for the generic "I forgot my passcode")."""
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines() if line]
    for line in banking77.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        generic = row["source"] == "banking77:passcode_forgotten"
        rows.append(
            row | {"split": "external", "kind": f"banking77{'-passcode' if generic else ''}"}
        )
    return rows


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
        names_booking = bool(extract_references(row["text"]))
        refusal = bot_refusal(
            view,
            priority,
            bot_enabled=True,
            human_only=None,
            names_booking=names_booking,
            personal=personal_emergency(row["text"]),
            answerable=covered,
        )
        match = None
        if refusal is None:
            if query is None:  # else triage's second stage embedded it already
                began = time.perf_counter()
                query = await kb.embed_query(row["text"])
                timings.setdefault("embed_ms", []).append((time.perf_counter() - began) * 1000)
            searched = searched_categories(view, names_booking=names_booking)
            candidates = [a for a in seed if searched & set(a.categories)]
            found = best_of(query, candidates, view.category)
            match = found[0] if found else None
        outcomes.append(Outcome(row, refusal, match))
    return outcomes, timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Calibrate the knowledge-base bot's threshold.")
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--banking77", type=Path, default=BANKING77)
    parser.add_argument("--target", type=float, default=TARGET_PRECISION)
    args = parser.parse_args(argv)
    outcomes, timings = asyncio.run(evaluate(read_rows(args.questions, args.banking77)))
    threshold = choose_threshold([o for o in outcomes if o.row["split"] == "calib"], args.target)
    test = score([o for o in outcomes if travel("test")(o)], threshold)
    THRESHOLD_FILE.write_text(
        json.dumps(
            {
                "threshold": threshold,
                "target_precision": args.target,
                "near_miss_margin": NEAR_MISS_MARGIN,
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
