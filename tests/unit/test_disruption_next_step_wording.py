"""A hotel or a car the traveller lost is replaced, not re-ticketed.

The "what happens next" line of a notice whose next step is ``rebooking`` was written for
flights and trains: "客服已在为您改签/重新安排", "為您改票", "振替手配" (changing a ticket,
substitute transport). A guest whose hotel is overbooked read that an agent was changing
their ticket. Hotels and cars now say what the agent arranges: the stay, another car.
"""

from __future__ import annotations

import pytest

from contracts.languages import LANGUAGES
from services.routing.care.domain.suppliers import KINDS
from tests.unit.test_disruption_notice_times import rendered
from tests.unit.test_hotel_kinds import hotel

TICKET_WORDS = ("改签", "改簽", "改票", "振替", "rebooking")
ANOTHER = {
    "hotel": {
        "en": "re-arranging your stay",
        "zh-Hans": "更改订房/重新安排住宿",
        "zh-Hant": "更改訂房／重新安排住宿",
        "ja": "ご宿泊先の再手配",
    },
    "car": {
        "en": "arranging another car",
        "zh-Hans": "重新安排用车",
        "zh-Hant": "重新安排車輛",
        "ja": "お車の再手配",
    },
}
REPLACED = [
    k for k, info in KINDS.items() if info.resource in ANOTHER and info.next_step == "rebooking"
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", REPLACED)
def test_a_lost_hotel_or_car_is_replaced_not_re_ticketed(language: str, kind: str) -> None:
    text = rendered(hotel(language, kind))

    assert [word for word in TICKET_WORDS if word in text] == []
    assert ANOTHER[KINDS[kind].resource][language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_cancelled_flight_is_still_rebooked(language: str) -> None:
    text = rendered(hotel(language, "flight_cancelled"))

    assert [word for word in TICKET_WORDS if word in text] != []
