"""The disruption notice's words, in each language, from what a partner sent: a delay is
told in minutes only when the partner gave a number of them, and the travel date reads as
the traveller's language writes dates, as the new departure beside it does."""

from __future__ import annotations

import pytest

from contracts import events
from contracts.languages import LANGUAGES
from services.notify.domain.notices import notices_for
from services.notify.domain.recipients import Directory
from services.notify.render import Renderer
from tests.unit.test_disruption_notice_times import notice, rendered


def delayed(language: str, **details: str) -> events.DisruptionNotice:
    return notice(language).model_copy(update={"kind": "flight_delayed", "details": details})


@pytest.mark.parametrize("delay", ["nan", "NaN", "TBD", "about 90", "-5", "0", "0.0", "1.5h"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_delay_that_is_no_count_of_minutes_is_not_told_as_one(language: str, delay: str) -> None:
    """A partner's ``"delay_minutes": "nan"`` read "delayed by nan minutes" (延误约nan分钟);
    routing already takes such a delay as none."""
    assert rendered(delayed(language, delay_minutes=delay)) == rendered(delayed(language))


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("en", "delayed by 90 minutes"),
        ("ja", "（約90分）"),
        ("zh-Hans", "延误约90分钟"),
        ("zh-Hant", "延誤約90分鐘"),
        ("en", "delayed by 1.5 minutes"),
    ],
)
def test_a_number_of_minutes_is_told(language: str, told: str) -> None:
    minutes = "1.5" if "1.5" in told else "90"
    assert told in rendered(delayed(language, delay_minutes=minutes))


@pytest.mark.parametrize(
    ("language", "day"),
    [
        ("en", "26 Nov 2026"),
        ("ja", "2026年11月26日"),
        ("zh-Hans", "2026年11月26日"),
        ("zh-Hant", "2026年11月26日"),
    ],
)
def test_the_travel_date_reads_as_the_language_writes_dates(language: str, day: str) -> None:
    """It read "您2026-11-26的航班CA1501已被取消", the departure "2026年11月26日 14:30"."""
    event = notice(language).model_copy(update={"kind": "flight_cancelled"})
    [one] = notices_for(event, "acme", Directory())

    text = Renderer().render(one)

    assert day in text.subject
    assert day in text.body
    assert "2026-11-26" not in text.subject + text.body
