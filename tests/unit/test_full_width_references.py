"""A booking reference typed with a Chinese or Japanese IME comes full-width
(``ＭＵ５１３８``, ``CA１５０１``): it is the same flight, order or PNR as its ASCII form.
It used to be missed (``ＭＵ５１３８便``) or kept verbatim (``CA１５０１``), so the contact was
never linked to the flight's incident."""

from __future__ import annotations

import pytest

from contracts.events import BookingReference, ReferenceKind
from contracts.references import extract_references
from services.intake.channels.web_form import from_web_form
from tests.factories import T0
from tests.unit.test_supplier_care import Care, body, opened, run_disruption


def found(text: str) -> list[tuple[ReferenceKind, str]]:
    return [(r.kind, r.value) for r in extract_references(text)]


FLIGHT, ORDER, PNR = ReferenceKind.FLIGHT, ReferenceKind.ORDER, ReferenceKind.PNR
HOTEL, TRAIN = ReferenceKind.HOTEL_CONFIRMATION, ReferenceKind.TRAIN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＭＵ５１３８便が遅延していますが…", [(FLIGHT, "MU5138")]),
        ("航班CA１５０１取消了", [(FLIGHT, "CA1501")]),
        ("ｃａ １５０１ 欠航", [(FLIGHT, "CA1501")]),
        ("ＣＡ　１５０１", [(FLIGHT, "CA1501")]),
        ("ＣＡ1501 and CA１５０１", [(FLIGHT, "CA1501")]),
        ("Ｇ１２３４次列车晚点", [(TRAIN, "G1234")]),
        ("予約番号：ＫＸ７ＺＡＢ", [(PNR, "KX7ZAB")]),
        ("注文番号＃ＴＷ２０２６１１２５", [(ORDER, "TW20261125")]),
        ("確認番号：ＨＸ－８８２１０", [(HOTEL, "HX-88210")]),
    ],
)
def test_full_width_and_mixed_width_references_are_read_in_ascii(
    text: str, expected: list[tuple[ReferenceKind, str]]
) -> None:
    assert found(text) == expected


@pytest.mark.parametrize("text", ["CA١٥٠١ delayed", "MU५१३८ delayed"])
def test_digits_of_other_scripts_do_not_make_a_flight_number(text: str) -> None:
    assert found(text) == []


def test_a_reference_sent_full_width_is_kept_in_ascii() -> None:
    assert BookingReference(kind=FLIGHT, value="ＣＡ１５０１").value == "CA1501"


def test_a_full_width_order_number_on_the_web_form_is_one_reference_in_ascii() -> None:
    contact = from_web_form(
        {
            "submission_id": "wf-1",
            "email": "a@example.com",
            "message": "注文番号 ＴＷ２０２６１１２５ について",
            "order_number": "ｔｗ２０２６１１２５",
        },
        T0,
    )
    assert [(r.kind, r.value) for r in contact.references] == [(ORDER, "TW20261125")]


async def test_a_full_width_contact_is_linked_to_the_flights_incident() -> None:
    desk = Care()
    await desk.book("acme", 1)
    await run_disruption(desk, body())
    [told] = desk.published("proactive.contact")

    refs = [v for k, v in found("ＣＡ１５０１便が欠航になりました") if k is FLIGHT]

    assert await desk.care.cluster(opened("TC-9", "acme", *refs)) == told.payload.incident_id


@pytest.mark.parametrize("text", ["予約番号：AB12CD", "PNR AB12CD", "my pnr is XY34ZT please"])
def test_a_pnr_is_not_read_as_a_flight_too(text: str) -> None:
    """Six letters and digits are a PNR (or nothing): their first four are no flight number."""
    assert ReferenceKind.FLIGHT not in {r.kind for r in extract_references(text)}
