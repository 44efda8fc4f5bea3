"""A bare "至急" alone ("urgent", a word Japanese writes and Chinese does not) read as Simplified
Chinese: it counted as weak evidence, below what a kana-less text needs, so a Japanese
traveller's one-word cry reached a Chinese desk and was answered in Chinese. It is a
Japanese word for intake's guess and routing's triage alike (``JAPANESE_WORDS``).
"""

from __future__ import annotations

import pytest

from services.intake.channels.language import guess_language
from services.routing.triage.language import detect_language

JAPANESE = ["至急", "至急！！", "至急!! NH880"]


@pytest.mark.parametrize("text", JAPANESE)
def test_a_bare_shikyuu_is_japanese(text: str) -> None:
    assert detect_language(text)[0] == "ja"


@pytest.mark.parametrize("text", JAPANESE)
def test_intake_guesses_it_alike(text: str) -> None:
    assert guess_language(text) == "ja"


def test_chinese_urgency_stays_chinese() -> None:
    assert detect_language("十万火急，请尽快帮我处理")[0] == "zh-Hans"
    assert detect_language("十萬火急，請盡快幫我處理")[0] == "zh-Hant"
