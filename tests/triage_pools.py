"""Whether sentences written for a triage test are new: in none of the labelled pools the
model learns, calibrates or is measured on (compared as the pools are, on ``overlap_key``)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from services.routing.tools.triage_data import CORPUS, CORRECTIONS, REAL, load_pools, overlap_key


@cache
def pooled_keys() -> frozenset[str]:
    """Every pool's texts, read once per test run."""
    pools = load_pools(CORPUS, REAL, CORRECTIONS)
    return frozenset(
        overlap_key(r["text"])
        for pool in (pools.train, pools.calib, pools.eval, pools.fresh, pools.holdout)
        for r in pool
    )


def pooled(texts: Iterable[str]) -> set[str]:
    """The texts some pool already holds."""
    return {t for t in texts if overlap_key(t) in pooled_keys()}
