"""The routing reason says a signal raised the priority only when it did: a critical case
that departs within 24 h was not "raised" by it (signals stop at high)."""

from __future__ import annotations

from datetime import timedelta

from contracts.events import Priority
from services.routing.domain.priority import UrgencySignals, opening_priority

SOON = UrgencySignals(departs_in=timedelta(hours=3))


def test_a_signal_that_raised_the_priority_is_named_as_raising_it() -> None:
    assert opening_priority(Priority.NORMAL, SOON, proactive=False) == (
        Priority.HIGH,
        "classifier normal, raised: departs within 24 h",
    )


def test_a_signal_that_could_not_raise_it_is_not_called_a_raise() -> None:
    priority, note = opening_priority(Priority.CRITICAL, SOON, proactive=False)

    assert priority is Priority.CRITICAL
    assert "raised" not in note
    assert note == "classifier critical (departs within 24 h: signals stop at high)"
