"""Once a service is up, what start-up built is frozen out of the garbage collector and its
young generation collects less often; 0 leaves CPython's collector as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from runtime.heap import settle


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_are_frozen_and_the_young_generation_waits_longer() -> None:
    built_at_start_up = [{"n": n} for n in range(100)]
    _, middle, old = gc.get_threshold()

    settle(10_000)

    assert gc.get_freeze_count() >= len(built_at_start_up)
    assert gc.get_threshold() == (10_000, middle, old)


def test_zero_leaves_the_collector_as_cpython_set_it() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()

    settle(0)

    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, frozen)
