"""The garbage collector's settings for a long-running service process.

Measured under load (#20, docs/benchmarks.md): CPython's cyclic collector took 10–18 %
of each service's CPU, and each full collection walked every object the process built
at start-up (the app, its schemas, routing's triage model): 175–240 ms pauses, in the
middle of requests someone waits on. Start-up objects live as long as the process, so
they are frozen out of the collector once the service is up; a larger young generation
collects less often.
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
