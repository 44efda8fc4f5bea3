"""Classify JSON lines: ``python -m services.routing.tools.classify < in.jsonl > out.jsonl``.

Each input line is an object with a ``text`` (and optionally ``tenant``, ``channel``
or anything else, passed through unchanged); each output line is the same object with
``lang``, ``category``, ``urgency``, ``sentiment``, their ``*_confidence`` and
``top_categories`` added. Lines are classified in batches, which is several times
faster than one at a time. A line that is not such an object is reported on stderr
with its line number and skipped; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from services.routing.triage.model import DEFAULT_ARTIFACT, Triage, TriageModel

BATCH = 256


def annotate(row: dict[str, Any], triage: Triage) -> dict[str, Any]:
    """The input object with the triage fields added (input fields are kept as they are)."""
    return {
        **row,
        "lang": triage.lang,
        "lang_confidence": round(triage.lang_confidence, 4),
        "category": triage.category,
        "category_confidence": round(triage.category_confidence, 4),
        "urgency": triage.urgency,
        "urgency_confidence": round(triage.urgency_confidence, 4),
        "sentiment": triage.sentiment,
        "sentiment_confidence": round(triage.sentiment_confidence, 4),
        "top_categories": [
            {"category": s.category, "probability": round(s.probability, 4)}
            for s in triage.top_categories
        ],
        "model_version": triage.model_version,
    }


def read(lines: Iterable[str], errors: TextIO) -> Iterator[dict[str, Any] | None]:
    """Parsed objects; ``None`` (after a message on ``errors``) for a line that is not one."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            print(f"line {number}: not JSON ({exc.msg})", file=errors)
            yield None
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            print(f"line {number}: needs an object with a string 'text'", file=errors)
            yield None
            continue
        yield row


def run(model: TriageModel, source: TextIO, sink: TextIO, errors: TextIO) -> int:
    failed = False
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for row, triage in zip(
            batch, model.classify_batch([r["text"] for r in batch]), strict=True
        ):
            sink.write(json.dumps(annotate(row, triage), ensure_ascii=False) + "\n")
        batch.clear()

    for row in read(source, errors):
        if row is None:
            failed = True
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Add triage fields to JSON lines on stdin.")
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    args = parser.parse_args(argv)
    return run(TriageModel.load(args.artifact), sys.stdin, sys.stdout, sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
