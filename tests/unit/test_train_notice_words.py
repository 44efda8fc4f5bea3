"""A train's disruption notice speaks of a train: its new departure is when it leaves
(发车, not 起飞, "takes off"), its gate is the station's ticket barrier (检票口, 改札口,
not the airport's boarding gate, 登机口, 搭乗口) and its terminal the station (车站, not
航站楼). The notice used the airport's words for every kind."""

from __future__ import annotations

import pytest

from contracts import events
from contracts.languages import LANGUAGES
from tests.unit.test_disruption_notice_times import notice, rendered

TRAIN = {"delay_minutes": "40", "gate": "A3", "terminal": "Hongqiao"}
AIRPORT_WORDS = (
    "flight",
    "gate",
    "terminal",
    "起飞",
    "起飛",
    "登机",
    "登機",
    "航站",
    "航廈",
    "搭乗",
    "ターミナル",
    "便",
)


def train(language: str, kind: str = "train_delayed", **details: str) -> events.DisruptionNotice:
    return notice(language, **details).model_copy(update={"kind": kind, "reference": "G1234"})


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "details",
    [
        {**TRAIN, "new_departure": "2026-11-26T09:10:00+08:00"},
        {**TRAIN, "delay_minutes": "0"},
    ],
)
def test_a_train_notice_has_no_airport_words(language: str, details: dict[str, str]) -> None:
    event = train(language, **details)
    event = event.model_copy(update={"on_schedule": details["delay_minutes"] == "0"})

    text = rendered(event).lower()

    assert not [word for word in AIRPORT_WORDS if word in text]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["New departure: 26 Nov 2026, 09:10", "Ticket barrier: A3", "Station: Hongqiao"]),
        ("zh-Hans", ["新的发车时间：2026年11月26日 09:10", "检票口：A3", "车站：Hongqiao"]),
        ("zh-Hant", ["新的發車時間：2026年11月26日 09:10", "剪票口：A3", "車站：Hongqiao"]),
        ("ja", ["新しい発車時刻：2026年11月26日 09:10", "改札口：A3", "駅：Hongqiao"]),
    ],
)
def test_a_train_notice_names_the_station_s_words(language: str, said: list[str]) -> None:
    text = rendered(train(language, **TRAIN, new_departure="2026-11-26T09:10:00+08:00"))

    assert [words for words in said if words not in text] == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", ["New departure: 26 Nov 2026, 09:10", "Gate: C12", "Terminal: T2"]),
        ("zh-Hans", ["新的起飞时间：2026年11月26日 09:10", "登机口：C12", "航站楼：T2"]),
        ("zh-Hant", ["新的起飛時間：2026年11月26日 09:10", "登機門：C12", "航廈：T2"]),
        ("ja", ["新しい出発時刻：2026年11月26日 09:10", "搭乗口：C12", "ターミナル：T2"]),
    ],
)
def test_a_flight_notice_keeps_the_airport_s_words(language: str, said: list[str]) -> None:
    event = notice(language, new_departure="2026-11-26T09:10:00+08:00", gate="C12", terminal="T2")

    text = rendered(event.model_copy(update={"kind": "flight_delayed"}))

    assert [words for words in said if words not in text] == []
