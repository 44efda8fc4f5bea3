"""A cheap guess of a contact's language, for the acknowledgement only."""

from __future__ import annotations

import re

import opencc

from contracts.languages import JAPANESE_ONLY_HAN, JAPANESE_WORDS

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’]*(?![A-Za-z0-9])")
_to_simplified = opencc.OpenCC("t2s")


def guess_language(text: str) -> str:
    """zh-Hans, zh-Hant, ja or en, from the script alone: enough to acknowledge.

    Routing's classifier decides properly; this only picks the acknowledgement's
    language when the gateway gave no hint, by the same main rules so the two agree:
    kana, or kanji only Japanese writes (発, 収 … or 予約, 領収 …, not lost in a long
    Chinese text), mean Japanese; a Han character counts half a word, and the script
    with more words wins ("I'm stuck at 浦东机场" is English); Han characters that
    Simplified conversion changes mean Traditional.
    """
    if _KANA.search(text):
        return "ja"
    han = "".join(_HAN.findall(text))
    if not han or len(han) / 2 < len(_LATIN_WORD.findall(text)):
        return "en"
    japanese = sum(char in JAPANESE_ONLY_HAN for char in han) + len(JAPANESE_WORDS.findall(han))
    if japanese and japanese * 10 >= len(han):
        return "ja"
    return "zh-Hant" if _to_simplified.convert(han) != han else "zh-Hans"
