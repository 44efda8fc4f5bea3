"""An order number is a number: a hotel's id (``TYO-HILTON-01``) or a word after "order" is
none, and would thread a traveller's contacts on a name, not a booking."""

from __future__ import annotations

import pytest

from contracts.events import ReferenceKind
from contracts.references import extract_references


@pytest.mark.parametrize(
    "text",
    [
        "My order TYO-HILTON-01 was overbooked",
        "酒店订单号：TYO-HILTON-01",
        "注文番号 TYO-HILTON-0123",
        "My order cancelled, please help",
    ],
)
def test_a_hotel_id_or_a_word_is_no_order_number(text: str) -> None:
    assert [r for r in extract_references(text) if r.kind is ReferenceKind.ORDER] == []


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("order 20261125004411", "20261125004411"),
        ("Order #ORD-77812345", "ORD-77812345"),
        ("訂單編號：TW20261125", "TW20261125"),
        ("order no. AB001234", "AB001234"),
        ("order ORDER-2026-001 at TYO-HILTON-01", "ORDER-2026-001"),
    ],
)
def test_order_numbers_are_still_found(text: str, order: str) -> None:
    found = [r.value for r in extract_references(text) if r.kind is ReferenceKind.ORDER]
    assert found == [order]
