"""The admission limiter: a bounded number in flight, refusals at once, slots always given back."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from prometheus_client import CollectorRegistry

from runtime.admission import (
    Admission,
    AtCapacity,
    LagWindow,
    Reason,
    Shedder,
    request_age,
)


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


def test_refuses_the_share_its_shedder_steers_and_names_the_lag() -> None:
    registry = CollectorRegistry()
    shedder = Shedder(lambda: 3.0, target_s=1.0, most=0.75, monotonic=lambda: 0.0)
    admission = Admission(64, registry=registry, shedders={Reason.ACKNOWLEDGEMENT_LAG: shedder})
    reasons = []
    for _ in range(100):
        try:
            with admission.admit():
                reasons.append("admitted")
        except AtCapacity as refusal:
            reasons.append(refusal.reason.value)
    assert reasons.count("admitted") == 25
    assert reasons.count(Reason.ACKNOWLEDGEMENT_LAG.value) == 75
    assert shedder.share == 0.75  # 0.1 × 2 + 1.0 × 3 targets at the first look, capped
    assert refused(registry, Reason.ACKNOWLEDGEMENT_LAG) == 75
    assert admission.in_flight == 0


def steered(lags: list[float], target_s: float = 1.0) -> list[float]:
    """The shedder's share after each look, one look per interval at each lag in turn."""
    now, lag = [0.0], [0.0]
    shedder = Shedder(lambda: lag[0], target_s, interval_s=0.5, monotonic=lambda: now[0])
    shares = []
    for value in lags:
        lag[0] = value
        shedder.refuse()
        shares.append(round(shedder.share, 3))
        now[0] += 0.5
    return shares


def test_nothing_is_shed_while_the_lag_stays_under_its_target_even_as_it_rises() -> None:
    assert steered([0.0, 0.05, 0.3, 0.9, 0.4, 0.2, 0.95]) == [0.0] * 7


def test_the_share_grows_while_the_lag_is_over_its_target() -> None:
    # a jump over the target: 0.1 × 0.5 + 1.0 × 1.0 = 1.05 targets, capped at 0.95
    assert steered([0.5, 1.5]) == [0.0, 0.95]
    # a creep: 0.1 × 0.1 + 1.0 × 0.2, then 0.1 × 0.2 + 1.0 × 0.1, then 0.1 × 0.2 per look
    assert steered([0.9, 1.1, 1.2, 1.2, 1.2]) == [0.0, 0.21, 0.33, 0.35, 0.37]


def test_the_share_falls_back_to_none_once_the_backlog_has_gone() -> None:
    shares = steered([2.0, 2.5, 1.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert max(shares) > 0.5
    assert shares[-1] == 0.0


def test_refusals_are_spread_evenly_over_the_requests() -> None:
    shedder = Shedder(lambda: 1.5, target_s=1.0, most=0.75, monotonic=lambda: 0.0)
    pattern = ["refused" if shedder.refuse() else "passed" for _ in range(12)]
    assert pattern == ["refused", "refused", "refused", "passed"] * 3


def test_a_shedder_needs_a_positive_target() -> None:
    with pytest.raises(ValueError, match="positive"):
        Shedder(lambda: 0.0, target_s=0.0)


def test_one_slow_acknowledgement_among_timely_ones_does_not_move_the_median() -> None:
    window = LagWindow(window_s=2.0, least=3, monotonic=lambda: 0.0)
    for lag in (0.05, 0.04, 95.0, 0.06):  # one delivery waited behind a retry
        window.observe(lag)
    assert window.median() < 0.1


def test_the_window_reads_nothing_from_too_few_or_forgotten_observations() -> None:
    now = [0.0]
    window = LagWindow(window_s=2.0, least=3, monotonic=lambda: now[0])
    window.observe(3.0)
    window.observe(2.5)
    assert window.median() == 0.0  # two observations are not yet a trend
    window.observe(2.2)
    assert window.median() == 2.5
    now[0] = 2.1
    assert window.median() == 0.0


NOW = 1_796_000_000.0


@pytest.mark.parametrize(
    ("header", "age"),
    [
        (f"t={NOW - 0.25}", 0.25),  # NGINX: seconds with a fraction
        (f"{int((NOW - 2) * 1000)}", 2.0),  # Heroku: milliseconds
        (f"t={int((NOW - 3) * 1_000_000)}", 3.0),  # microseconds
        (f"t={NOW + 0.5}", 0.0),  # a proxy's clock a little ahead reads as no wait
        (None, None),
        ("", None),
        ("t=soon", None),
        ("t=nan", None),
        ("t=inf", None),
        ("t=-5", None),
        ("t=1", None),  # 1970: older than an hour, not a wait
        (f"t={NOW + 30}", None),  # from the future beyond clock skew
    ],
)
def test_the_age_a_proxy_stamps_is_read_in_any_common_unit_and_nonsense_is_ignored(
    header: str | None, age: float | None
) -> None:
    read = request_age(header, NOW)
    assert read == (None if age is None else pytest.approx(age, abs=1e-3))


def test_requests_that_waited_at_the_door_are_shed_and_named_for_it() -> None:
    registry = CollectorRegistry()
    now = [0.0]
    ages = LagWindow(monotonic=lambda: now[0])
    shedder = Shedder(ages.median, 0.5, monotonic=lambda: now[0])
    admission = Admission(64, registry=registry, shedders={Reason.REQUEST_AGE: shedder}, ages=ages)
    answers = []
    for n in range(100):
        now[0] = n * 0.02  # 50 requests a second, each 4 s old
        try:
            with admission.admit(age_s=4.0):
                answers.append("admitted")
        except AtCapacity as refusal:
            answers.append(refusal.reason.value)

    assert answers[:3] == ["admitted"] * 3  # the window needs three ages to read any
    assert answers.count(Reason.REQUEST_AGE.value) > 50
    assert refused(registry, Reason.REQUEST_AGE) == answers.count(Reason.REQUEST_AGE.value)


def test_requests_without_an_age_are_never_shed_for_it() -> None:
    ages = LagWindow(monotonic=lambda: 0.0)
    shedder = Shedder(ages.median, 0.5)
    admission = Admission(
        64, registry=CollectorRegistry(), shedders={Reason.REQUEST_AGE: shedder}, ages=ages
    )
    for _ in range(20):
        with admission.admit():
            pass
    assert shedder.share == 0.0
