"""The report of the small CPU benches: each variant's median over its runs, and the runs."""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping, Sequence


def print_medians(results: Mapping[str, Sequence[float]], per: str, runs_of: str) -> None:
    """``results``: µs of CPU per ``per`` (message, request) of every run, by variant;
    ``runs_of``: what one run is (``3000 messages``), for the heading."""
    runs = max((len(spent) for spent in results.values()), default=0)
    print(f"load average {os.getloadavg()[0]:.1f}; {runs_of} x {runs} runs")
    width = max((len(variant) for variant in results), default=0)
    for variant, spent in results.items():
        runs_text = ", ".join(f"{value:.0f}" for value in spent)
        print(
            f"{variant:>{width}}: median {statistics.median(spent):.0f} µs CPU per {per} "
            f"(runs {runs_text})"
        )
