"""A Chinese train number named as one is a train, not a flight.

QA wrote "您好，我的火车票G1234改签失败了，钱扣了但是没出票" on WeCom: the ticket's references
said `flight G1234`, as a train number was only read with a trailing 次 (`G1234次`), and
otherwise the flight pattern took `G1` for an airline's designator. Agents saw a flight, and
a rail partner's event about G1234 (resource `train`) would not have found the contact.
"""

from __future__ import annotations

import pytest

from contracts.events import ReferenceKind
from contracts.references import extract_references

FLIGHT, TRAIN = ReferenceKind.FLIGHT, ReferenceKind.TRAIN


def found(text: str) -> list[tuple[ReferenceKind, str]]:
    return [(r.kind, r.value) for r in extract_references(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("您好，我的火车票G1234改签失败了，钱扣了但是没出票", [(TRAIN, "G1234")]),
        ("高铁G1234晚点了", [(TRAIN, "G1234")]),
        ("高鐵 G803 誤點", [(TRAIN, "G803")]),
        ("车次：D3101", [(TRAIN, "D3101")]),
        ("我坐的D3101动车取消了", [(TRAIN, "D3101")]),
        ("列車K1511停運", [(TRAIN, "K1511")]),
        ("My train G7 to Nanjing was cancelled", [(TRAIN, "G7")]),
        ("G1234次", [(TRAIN, "G1234")]),
    ],
)
def test_a_train_number_with_a_train_word_is_a_train(
    text: str, expected: list[tuple[ReferenceKind, str]]
) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("航班G52681延误", [(FLIGHT, "G52681")]),
        ("我的航班G5 4321取消了，改坐火车", [(FLIGHT, "G54321")]),
        ("D8123 to Oslo is late, then the train to Bergen", [(FLIGHT, "D8123")]),
        ("MU5138 cancelled", [(FLIGHT, "MU5138")]),
    ],
)
def test_flights_stay_flights(text: str, expected: list[tuple[ReferenceKind, str]]) -> None:
    assert found(text) == expected
