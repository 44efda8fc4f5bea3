"""The admission limiter: a bounded number in flight, refusals at once, slots always given back."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from prometheus_client import CollectorRegistry

from runtime.admission import Admission, AtCapacity, LagWindow, Reason


def refused(registry: CollectorRegistry, reason: Reason) -> float:
    value = registry.get_sample_value("admission_refused_total", {"reason": reason.value})
    return value or 0.0


def test_admits_up_to_the_limit_refuses_the_next_and_admits_again_once_one_leaves() -> None:
    registry = CollectorRegistry()
    admission = Admission(3, registry=registry)
    with ExitStack() as held:
        for _ in range(3):
            held.enter_context(admission.admit())
        with pytest.raises(AtCapacity) as refusal, admission.admit():
            pytest.fail("a fourth caller ran")
        assert (refusal.value.reason, refusal.value.retry_after_s) == (Reason.IN_FLIGHT, 1)
        assert admission.in_flight == 3
    assert admission.in_flight == 0
    with admission.admit():
        assert admission.in_flight == 1
    assert refused(registry, Reason.IN_FLIGHT) == 1


def test_a_slot_is_given_back_when_the_guarded_work_fails() -> None:
    admission = Admission(1, registry=CollectorRegistry())
    with pytest.raises(RuntimeError), admission.admit():
        raise RuntimeError("store went away")
    assert admission.in_flight == 0
    with admission.admit():
        pass


def test_refuses_while_the_outbox_backlog_is_over_its_limit() -> None:
    registry = CollectorRegistry()
    backlog = [1000]
    admission = Admission(
        64, registry=registry, backlog=lambda: backlog[0], max_backlog=1000, retry_after_s=2
    )
    with admission.admit():
        pass
    backlog[0] = 1001
    with pytest.raises(AtCapacity) as refusal, admission.admit():
        pytest.fail("admitted over the backlog limit")
    assert (refusal.value.reason, refusal.value.retry_after_s) == (Reason.OUTBOX_BACKLOG, 2)
    assert admission.in_flight == 0
    assert refused(registry, Reason.OUTBOX_BACKLOG) == 1
    assert refused(registry, Reason.IN_FLIGHT) == 0


def test_refuses_while_acknowledgements_lag_and_admits_once_the_lag_is_forgotten() -> None:
    registry, now = CollectorRegistry(), [0.0]
    window = LagWindow(window_s=5.0, least=3, monotonic=lambda: now[0])
    admission = Admission(64, registry=registry, lag=window.median, max_lag_s=2.0)
    for lag in (2.5, 3.0):
        window.observe(lag)
    with admission.admit():  # two observations are not yet a trend
        pass
    window.observe(2.2)
    with pytest.raises(AtCapacity) as refusal, admission.admit():
        pytest.fail("admitted while acknowledgements were late")
    assert refusal.value.reason is Reason.ACKNOWLEDGEMENT_LAG
    assert refused(registry, Reason.ACKNOWLEDGEMENT_LAG) == 1
    now[0] = 5.1
    with admission.admit():
        assert window.median() == 0.0


def test_one_slow_acknowledgement_among_timely_ones_does_not_close_the_door() -> None:
    window = LagWindow(window_s=5.0, least=3, monotonic=lambda: 0.0)
    admission = Admission(64, registry=CollectorRegistry(), lag=window.median, max_lag_s=2.0)
    for lag in (0.05, 0.04, 95.0, 0.06):  # one traveller's channel failed over after retries
        window.observe(lag)
    with admission.admit():
        assert window.median() < 2.0
