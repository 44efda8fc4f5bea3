"""A hotel's or a car's disruption notice speaks of the stay or the car, never of changing a
ticket (改签, 改票, 振替: words for flights and trains) in Chinese and Japanese."""

from __future__ import annotations

import pytest

from contracts.events import NextStep
from tests.unit.test_disruption_notice_times import notice, rendered

HOTEL_KINDS = (
    "hotel_overbooked",
    "hotel_closed",
    "hotel_reservation_not_found",
    "hotel_cancelled",
    "hotel_date_change",
)
TRANSPORT_WORDS = ("改签", "改簽", "改票", "振替", "航班", "登机", "登機", "列车", "列車", "搭乗")
REARRANGED = {
    "zh-Hans": ("更改订房/重新安排住宿", "重新安排用车"),
    "zh-Hant": ("更改訂房／重新安排住宿", "重新安排車輛"),
    "ja": ("ご宿泊先の再手配", "お車の再手配"),
}


@pytest.mark.parametrize("language", sorted(REARRANGED))
@pytest.mark.parametrize("step", list(NextStep))
@pytest.mark.parametrize("kind", [*HOTEL_KINDS, "car_no_show"])
def test_a_stay_or_a_car_is_no_ticket_to_change(language: str, step: NextStep, kind: str) -> None:
    event = notice(language).model_copy(
        update={"kind": kind, "reference": "TYO-HILTON-01", "next_step": step}
    )

    body = rendered(event)

    assert [w for w in TRANSPORT_WORDS if w in body] == []
    if step is NextStep.REBOOKING:
        stay, car = REARRANGED[language]
        assert (car if kind == "car_no_show" else stay) in body


@pytest.mark.parametrize(
    ("language", "word"), [("zh-Hans", "改签"), ("zh-Hant", "改票"), ("ja", "振替")]
)
def test_a_cancelled_flight_is_still_rebooked(language: str, word: str) -> None:
    event = notice(language).model_copy(update={"kind": "flight_cancelled"})
    assert word in rendered(event)
