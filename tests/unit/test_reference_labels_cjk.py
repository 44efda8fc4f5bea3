"""Booking references after the labels travellers type in Chinese and Japanese: the full
label (``確認號碼``, ``订单号码``), a copula or particle between label and value (``是``,
``は``) and CJK text running on after it. Missed, a contact threads on no booking and joins
no disruption, while the same sentence in English does."""

from __future__ import annotations

import pytest

from contracts.events import BookingReference, ReferenceKind
from contracts.references import extract_references

HOTEL, ORDER, PNR = ReferenceKind.HOTEL_CONFIRMATION, ReferenceKind.ORDER, ReferenceKind.PNR


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("飯店說超賣了，確認號碼HX55120，請幫我處理", HOTEL, "HX55120"),
        ("確認號碼：HX55120", HOTEL, "HX55120"),
        ("酒店说超售了，确认号码 HX55120", HOTEL, "HX55120"),
        ("ホテルの確認番号はHX55120です", HOTEL, "HX55120"),
        ("我的订单号是ORD-77812345，退款还没到", ORDER, "ORD-77812345"),
        ("订单号码 20261125004411", ORDER, "20261125004411"),
        ("訂單號碼是TW20261125", ORDER, "TW20261125"),
        ("我的PNR是AB12CD，航班取消了", PNR, "AB12CD"),
        ("予約番号はAB12CDです", PNR, "AB12CD"),
        ("予約番号AB12CDの変更をお願いします", PNR, "AB12CD"),
    ],
)
def test_a_reference_after_a_cjk_label_is_found(text: str, kind: ReferenceKind, value: str) -> None:
    assert BookingReference(kind=kind, value=value) in extract_references(text)


@pytest.mark.parametrize(
    "text",
    ["订单是昨天下的，还没出票", "確認號碼還沒收到", "予約番号はまだ届いていません"],
)
def test_a_label_without_a_value_finds_nothing(text: str) -> None:
    found = [r for r in extract_references(text) if r.kind in (HOTEL, ORDER, PNR)]
    assert found == []
