"""A flight or train moved to another day tells the traveller its new date.

``new_date`` is the new service date of a moved flight or train (docs/suppliers.md): a
material change, in the agents' summary, yet only a moved hotel stay's notice said it. A
traveller whose flight the airline moved to the next day read "Your flight CA1501 on 26 Nov
2026 has a gate or schedule change" and nothing of when it now flies, and a second notice
for the day moving again said the same words. The date is now told as the language writes
dates, after the new departure time when there is one.
"""

from __future__ import annotations

import pytest

from contracts.languages import LANGUAGES
from tests.unit.test_disruption_notice_times import notice, rendered


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "New date: 27 Nov 2026."),
        ("ja", "新しい出発日：2026年11月27日。"),
        ("zh-Hans", "新的出发日期：2026年11月27日。"),
        ("zh-Hant", "新的出發日期：2026年11月27日。"),
    ],
)
@pytest.mark.parametrize("kind", ["flight_schedule_change", "train_schedule_change"])
def test_a_moved_flight_or_train_names_its_new_date(language: str, line: str, kind: str) -> None:
    moved = notice(language, new_date="2026-11-27").model_copy(update={"kind": kind})

    assert line in rendered(moved)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_notice_without_a_new_date_says_none(language: str) -> None:
    text = rendered(notice(language))

    assert "27" not in text
    assert "New date" not in text
