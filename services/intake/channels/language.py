"""A cheap guess of a contact's language: the acknowledgement's, and whether a follow-up is
surely written in another one (the ticket then speaks it: ``domain.language``)."""

from __future__ import annotations

import re

import opencc

from contracts import events
from contracts.languages import (
    JAPANESE_ONLY_HAN,
    JAPANESE_WORDS,
    LINKS,
    latin_words,
    romaji,
    supported_language,
)

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_to_simplified = opencc.OpenCC("t2s")
_to_traditional = opencc.OpenCC("s2t")
MIN_WORDS = 6
"""Words a follow-up needs before it may change the ticket's language (a Han character or
kana counts half a word): "ok", "Thank you very much", "ありがとうございます" or a booking
number say too little to go by."""
MIN_SHARE = 0.8
"""Of its words, the share one script must carry: a mixed text ("booking一直pending怎么办")
says which language is meant too weakly to switch on."""


def guess_language(text: str) -> str:
    """zh-Hans, zh-Hant, ja or en, from the script alone: enough to acknowledge.

    Routing's classifier decides properly; this only picks the acknowledgement's
    language when the gateway gave no hint, by the same main rules so the two agree:
    kana, or kanji only Japanese writes (発, 収 … or 予約, 領収 …, not lost in a long
    Chinese text), mean Japanese; a Han character counts half a word, and the script
    with more words wins ("I'm stuck at 浦东机场" is English); Han characters that
    Simplified conversion changes mean Traditional; Japanese in Latin letters
    (``romaji``) is Japanese.
    """
    if _KANA.search(text):
        return "ja"
    han = "".join(_HAN.findall(text))
    if not han and romaji(text):
        return "ja"
    if not han or len(han) / 2 < len(latin_words(text)):
        return "en"
    japanese = sum(char in JAPANESE_ONLY_HAN for char in han) + len(JAPANESE_WORDS.findall(han))
    if japanese and japanese * 10 >= len(han):
        return "ja"
    return "zh-Hant" if _to_simplified.convert(han) != han else "zh-Hans"


def script_open(text: str) -> bool:
    """Whether a Chinese text reads the same in both scripts, so only its writer's setting
    can tell Traditional from Simplified (``guess_language`` then says zh-Hans)."""
    han = "".join(_HAN.findall(text))
    return guess_language(text) == "zh-Hans" and _to_traditional.convert(han) == han


def written_in(contact: events.ContactReceived) -> tuple[str, ...]:
    """The languages a follow-up is surely written in, best first: the gateway's hint for the
    message, else what a long enough, unmixed text says (``confident_languages``)."""
    hint = supported_language(contact.language_hint)
    return (hint,) if hint else confident_languages(contact.text)


def confident_languages(text: str) -> tuple[str, ...]:
    """The languages the text is surely in, best first; () when too short or mixed to tell.

    Links and addresses carry none. A Chinese text whose characters read the same in both
    scripts could be either: ``("zh-Hans", "zh-Hant")``.
    """
    clean = LINKS.sub(" ", text)
    latin = len(latin_words(clean))
    cjk = (len(_KANA.findall(clean)) + len(_HAN.findall(clean))) / 2
    words = latin + cjk
    if words < MIN_WORDS:
        return ()
    if latin >= MIN_SHARE * words:
        return ("ja",) if romaji(clean) else ("en",)
    if cjk < MIN_SHARE * words:
        return ()
    language = guess_language(clean)
    han = "".join(_HAN.findall(clean))
    if language == "zh-Hans" and _to_traditional.convert(han) == han:
        return ("zh-Hans", "zh-Hant")
    return (language,)
