"""Cantonese and Mandarin tags are read as the Chinese script their readers read.

A Hong Kong traveller whose phone or booking tool says ``yue-Hant-HK`` (iOS's Cantonese),
``yue`` or the legacy ``zh-yue``, or a ``cmn-Hant-TW`` (Mandarin, ISO 639-3), named no
language TripCare speaks: their disruption notice and every other went out in English, and
``zh-yue`` was even read as ``zh`` (Simplified). Written Cantonese and Mandarin are Chinese
in the script the tag or the place names: Traditional for Hong Kong, Macau and Taiwan,
Simplified for the mainland.
"""

from __future__ import annotations

import pytest

from contracts.events import Traveller
from contracts.languages import supported_language
from services.notify.domain.notice import language_of


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("yue", "zh-Hant"),
        ("yue-HK", "zh-Hant"),
        ("yue-Hant-HK", "zh-Hant"),
        ("yue_Hant_MO", "zh-Hant"),
        ("zh-yue", "zh-Hant"),
        ("zh-yue-HK", "zh-Hant"),
        ("yue-Hans", "zh-Hans"),
        ("yue-CN", "zh-Hans"),
        ("cmn", "zh-Hans"),
        ("cmn-CN", "zh-Hans"),
        ("cmn-Hans-CN", "zh-Hans"),
        ("cmn-Hant-TW", "zh-Hant"),
        ("cmn-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh", "zh-Hans"),
        ("fr", None),
    ],
)
def test_a_chinese_tag_maps_onto_the_script_its_reader_reads(
    tag: str, language: str | None
) -> None:
    assert supported_language(tag) == language


def test_a_cantonese_travellers_notice_is_in_traditional_chinese_not_english() -> None:
    assert language_of(Traveller(id="trav-hk", language="yue-Hant-HK")) == "zh-Hant"
