"""Latency and throughput of the routing triage model on one core.

``python bench/triage_bench.py [--record docs/benchmarks.md]`` classifies texts from
the held-out split of ``data/routing/corpus.jsonl``: each text on its own (latency
p50/p95/p99, texts/s) and in batches (texts/s). The process is pinned to one CPU and
OpenMP/BLAS are limited to one thread before numpy loads, as the routing service
would run it. ``--record`` appends the result, with the command, date and machine, to
the given Markdown file.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402 - the thread limits must be set before numpy is imported
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.routing.triage import DEFAULT_ARTIFACT, TriageModel  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data/routing/corpus.jsonl")
    parser.add_argument("--single", type=int, default=3000, help="texts classified one by one")
    parser.add_argument("--batched", type=int, default=10000, help="texts classified in batches")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--record", type=Path, help="append the result to this Markdown file")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rows = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows if r["split"] == "test"]
    rng = random.Random(7)

    started = time.perf_counter()
    model = TriageModel.load(DEFAULT_ARTIFACT)
    load_s = time.perf_counter() - started
    for text in texts[:200]:  # warm up: lingua loads its language models lazily
        model.classify(text)

    single = [rng.choice(texts) for _ in range(args.single)]
    latencies = []
    for text in single:
        t0 = time.perf_counter()
        model.classify(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    single_rate = len(single) / (sum(latencies) / 1000)

    batched = [rng.choice(texts) for _ in range(args.batched)]
    t0 = time.perf_counter()
    for start in range(0, len(batched), args.batch_size):
        model.classify_batch(batched[start : start + args.batch_size])
    batch_rate = len(batched) / (time.perf_counter() - t0)

    result = {
        "model": model.version,
        "artifact_bytes": DEFAULT_ARTIFACT.stat().st_size,
        "load_s": round(load_s, 3),
        "single_p50_ms": round(percentile(latencies, 0.50), 3),
        "single_p95_ms": round(percentile(latencies, 0.95), 3),
        "single_p99_ms": round(percentile(latencies, 0.99), 3),
        "single_max_ms": round(latencies[-1], 3),
        "single_texts_per_s": round(single_rate),
        "batch_size": args.batch_size,
        "batch_texts_per_s": round(batch_rate),
        "mean_text_chars": round(sum(map(len, single)) / len(single)),
    }
    print(json.dumps(result, indent=2))
    if args.record:
        record(args, result)


def record(args: argparse.Namespace, result: dict[str, float | int | str]) -> None:
    command = "python bench/triage_bench.py " + " ".join(sys.argv[1:])
    lines = [
        "",
        f"## Routing triage model ({result['model']}), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- command: `{command.strip()}`",
        f"- machine: {os.cpu_count()} cores ({cpu_model()}), pinned to 1 core, "
        f"OMP/OpenBLAS/MKL threads = 1; Python {platform.python_version()}",
        f"- input: {args.single:,} single calls and {args.batched:,} texts in batches of "
        f"{args.batch_size}, drawn from the held-out split "
        f"(mean {result['mean_text_chars']} characters)",
        f"- artifact: {int(result['artifact_bytes']) / 1e6:.1f} MB, loaded in {result['load_s']} s",
        "",
        "| measure | value | target |",
        "| --- | --: | --: |",
        f"| single text p50 | {result['single_p50_ms']} ms | |",
        f"| single text p95 | {result['single_p95_ms']} ms | |",
        f"| single text p99 | {result['single_p99_ms']} ms | ≤ 5 ms |",
        f"| single text max | {result['single_max_ms']} ms | |",
        f"| one at a time | {result['single_texts_per_s']:,} texts/s | ≥ 1,000 |",
        f"| batches of {args.batch_size} | {result['batch_texts_per_s']:,} texts/s | |",
        "",
    ]
    if not args.record.exists():
        args.record.write_text("# Benchmarks\n\nMeasured results, newest last.\n", encoding="utf-8")
    with args.record.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines))


if __name__ == "__main__":
    main()
