"""The garbage collector's settings for a long-running service process.

Measured under load (#20, docs/benchmarks.md): each service ran 6–10 full collections
in a bench run, each walking every object the process built at start-up (the app, its
schemas, routing's triage model); in intake at 50/s one took 150–175 ms of wall time, in
the middle of requests someone waits on. Start-up objects live as long as the process,
so they are frozen out of the collector once the service is up; a larger young
generation collects less often. The collector's CPU fell from 2.5 to 0.9 s per run, and
the acknowledgement's p99 at 40/s from 330 to 113–215 ms.
"""

from __future__ import annotations

import gc


def settle(young_threshold: int) -> None:
    """Freeze what start-up built and collect the young generation every
    ``young_threshold`` allocations (CPython's default is 700); 0 leaves the collector
    as CPython sets it."""
    if young_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
