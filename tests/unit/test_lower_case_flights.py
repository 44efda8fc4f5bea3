"""A traveller writing a flight in lower case ("qs 123", "ca1501") names it: the contact
is linked to the flight's incident. It used to be read as no flight at all.

Lower case is everyday words too, so only an airline's designator counts
(``contracts.airlines``), and never one that is also a word or begins a Chinese train
number. On the real corpora in ``shared/data/real`` (112,707 texts: sgd_travel,
banking77, nlupp hotels, crosswoz, jmultiwoz) this finds no flight at all; any two
characters before 1-4 digits would have found 680.
"""

from __future__ import annotations

import pytest

from contracts.events import ReferenceKind
from contracts.references import extract_references
from tests.unit.test_supplier_care import Care, body, opened, run_disruption


def flights(text: str) -> list[str]:
    return [r.value for r in extract_references(text) if r.kind is ReferenceKind.FLIGHT]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my flight qs 123 is delayed", ["QS123"]),
        ("航班ca1501取消了怎么办", ["CA1501"]),
        ("Ca-981 and mu 5101 tomorrow", ["CA981", "MU5101"]),
        ("3u8888 延误", ["3U8888"]),
        ("lh 4 to Frankfurt", ["LH4"]),
        ("CA1501 and ca1501", ["CA1501"]),
        ("CA 1501 取消", ["CA1501"]),
    ],
)
def test_lower_case_and_spaced_flight_numbers_are_read(text: str, expected: list[str]) -> None:
    assert flights(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "room no 1 please",
        "arriving at 10 tonight",
        "ok 2 rooms then",
        "as 10 of us travel",
        "am 9 ok?",
        "it 2 days late",
        "tell me 2 options",
        "to 5 people",
        "uk 7 nights",
        "please cancel my train g5066",
        "d7012次列车",
        "ab 123 is not an airline we know",
        "room 1203 on floor 12",
    ],
)
def test_words_and_train_numbers_before_a_number_are_not_flights(text: str) -> None:
    assert flights(text) == []


async def test_a_lower_case_contact_is_linked_to_the_flights_incident() -> None:
    desk = Care()
    await desk.book("acme", 1)
    await run_disruption(desk, body())
    [told] = desk.published("proactive.contact")

    refs = flights("hi, ca 1501 was cancelled, what now?")

    assert await desk.care.cluster(opened("TC-9", "acme", *refs)) == told.payload.incident_id
