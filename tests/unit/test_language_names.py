"""Chinese or Japanese naming a hotel, a company or a city in English: a subject line such
as "Hilton Tokyo Bay予約確認" was read as English (three Latin words against four kanji),
so a Japanese traveller was acknowledged, and the bot would answer, in English.

Written for these tests, in no pool (``test_the_sentences_here_are_in_no_pool``).
"""

from __future__ import annotations

import pytest

from services.intake.channels.language import guess_language
from services.routing.triage.language import detect_language
from tests.triage_pools import pooled

NAMED = [
    ("Hilton Tokyo Bay予約確認", "ja"),
    ("Hotel Gracery Shinjuku予約取消", "ja"),
    ("Marriott Shanghai Pudong预订确认", "zh-Hans"),
    ("Hyatt Regency Taipei訂房確認", "zh-Hant"),
    ("Grand Hyatt Hong Kong訂房取消", "zh-Hant"),
]
ENGLISH = [
    ("I'm stuck at 浦东机场, flight cancelled", "en"),
    ("Please cancel my room at 新宿 tonight", "en"),
    ("FLIGHT CANCELLED AT 成田空港", "en"),
]


@pytest.mark.parametrize(("text", "language"), NAMED + ENGLISH)
def test_english_names_in_chinese_or_japanese_do_not_make_it_english(
    text: str, language: str
) -> None:
    assert guess_language(text) == language
    assert detect_language(text)[0] == language


def test_the_sentences_here_are_in_no_pool() -> None:
    assert not pooled(text for text, _ in NAMED + ENGLISH)
