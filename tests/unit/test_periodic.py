"""``runtime.periodic.Periodic``: the background loop every sweeper, archiver and reporter runs."""

from __future__ import annotations

import asyncio

import pytest

from runtime.periodic import Periodic


async def test_a_failing_step_is_logged_and_the_loop_goes_on_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("store away")

    worker = Periodic("test-loop", 0.01, step, failure="step failed", at_once=True)
    worker.start()
    await asyncio.sleep(0.05)
    await worker.stop(1.0)
    ran = len(calls)
    await asyncio.sleep(0.03)
    assert ran >= 2, "the step after the failure ran"
    assert len(calls) == ran, "nothing runs after stop"
    assert "step failed: RuntimeError('store away')" in caplog.text


async def test_without_at_once_the_first_step_waits_one_interval() -> None:
    calls: list[None] = []

    async def step() -> None:
        calls.append(None)

    worker = Periodic("test-loop", 10.0, step, failure="step failed")
    worker.start()
    await asyncio.sleep(0.02)
    await worker.stop(1.0)
    assert calls == []
