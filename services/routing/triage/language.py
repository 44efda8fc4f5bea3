"""Which language a contact is written in: zh-Hans, zh-Hant, en, ja, or ``other``.

Pure rules on scripts, then ``lingua`` (restricted to English, Chinese and Japanese,
with a wider Latin detector to send French or Spanish to ``other``):

* **kana** means Japanese; **kanji-only** Japanese ("領収書再発行依頼", "搭乗便欠航") is
  told from Chinese by characters only Japanese writes (発, 収, 乗, 駅, 払 …: Japan's
  simplified forms, which neither Chinese standard uses) and by Japanese-only words
  (予約, 出張, 精算 …);
* **Simplified vs Traditional Chinese** with the official ``opencc``: converting
  Traditional to Simplified changes a Traditional text and leaves a Simplified one
  alone; Cantonese-only characters (咗, 嘅, 冇 …) are Traditional writing;
* **mixed** messages are tagged with the language that carries most of the words
  (a Han character counts half a word): "booking一直pending怎么办" is Chinese,
  "I'm stuck at 浦东机场" English, and the confidence says how mixed it was; capitalised
  words alone next to Chinese or Japanese are a name, no English ("Hilton Tokyo Bay予約確認"
  is Japanese: ``contracts.languages.latin_words``);
* **romaji** (Japanese in Latin letters, "hoteru no yoyaku wo henkou shitai desu") is
  Japanese when nearly every word is Japanese syllables and a romaji marker is said
  (``contracts.languages.romaji``, as intake guesses); English naming Osaka stays English.

Replies still go out in the traveller's own language (routing prefers their profile's).

A text with no letters once links, e-mail addresses and numbers are removed (digits,
punctuation, a bare URL) has no language: ``other`` at confidence 0.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

import opencc
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from contracts.languages import (
    JAPANESE_ONLY_HAN,
    JAPANESE_WORDS,
    LINKS,
    ROMAJI_WORD,
    latin_words,
    romaji,
)

Lang = Literal["zh-Hans", "zh-Hant", "en", "ja", "other"]

_T2S = opencc.OpenCC("t2s.json")
_S2T = opencc.OpenCC("s2t.json")

_LETTER = re.compile(r"[^\W\d_]")
_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OTHER_SCRIPTS = re.compile(
    r"[\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u1100-\u11ff"
    r"\uac00-\ud7af]"
)
# Kanji words rarely Chinese usage: weak evidence (the strong: contracts.languages). Data.
_JAPANESE_WORDS_WEAK = re.compile(r"新幹線|精算|手配|請求書|到着|送迎|確認済")
_CANTONESE = re.compile(r"[唔咗嘅喺冇啲嗰咁噉囉嘢哋佢乜㗎喎睇嚟搵攞瞓]")
_OTHER_LATIN = (
    Language.FRENCH,
    Language.GERMAN,
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.ITALIAN,
    Language.DUTCH,
    Language.INDONESIAN,
    Language.VIETNAMESE,
    Language.TURKISH,
    Language.TAGALOG,
)


@cache
def _detectors() -> tuple[LanguageDetector, LanguageDetector]:
    main = LanguageDetectorBuilder.from_languages(
        Language.ENGLISH, Language.CHINESE, Language.JAPANESE
    ).build()
    latin = LanguageDetectorBuilder.from_languages(Language.ENGLISH, *_OTHER_LATIN).build()
    return main, latin


def warm_up() -> None:
    """Build the detectors and load lingua's models now rather than on the first contact."""
    main, latin = _detectors()
    main.compute_language_confidence_values("warm up 你好 こんにちは")
    latin.compute_language_confidence_values("warm up the detector")


def words_of(text: str) -> str:
    """The text without links, e-mail addresses and booking codes: what carries language."""
    return LINKS.sub(" ", text)


def has_language(text: str) -> bool:
    """Whether any letter is left once links and addresses are removed."""
    return bool(_LETTER.search(words_of(text)))


def chinese_script(text: str) -> tuple[Lang, float]:
    """zh-Hant if converting to Simplified changes more characters than the reverse."""
    to_simplified = _changed(text, _T2S.convert(text))
    to_traditional = _changed(text, _S2T.convert(text))
    if _CANTONESE.search(text):
        to_simplified += 2
    if to_simplified == to_traditional:
        return "zh-Hans", 0.55
    lang: Lang = "zh-Hant" if to_simplified > to_traditional else "zh-Hans"
    return lang, (max(to_simplified, to_traditional) + 1) / (to_simplified + to_traditional + 2)


def _changed(before: str, after: str) -> int:
    if len(before) != len(after):
        return abs(len(before) - len(after)) + 1
    return sum(a != b for a, b in zip(before, after, strict=True))


def japanese_kanji(text: str, han: int, kana: int) -> float:
    """Evidence that a Han text with little or no kana is Japanese: 0 (none) to 1.

    Diluted in long texts, so a Chinese message quoting one Japanese shop name stays
    Chinese.
    """
    only = sum(ch in JAPANESE_ONLY_HAN for ch in text)
    words = len(JAPANESE_WORDS.findall(text))
    weak = len(_JAPANESE_WORDS_WEAK.findall(text))
    raw = 0.45 * only + 0.45 * words + 0.25 * weak + 0.2 * kana
    return min(1.0, raw * min(1.0, 10 / max(han, 1)))


def detect_language(text: str) -> tuple[Lang, float]:
    """The language the message is written in, with a raw confidence in [0, 1]."""
    clean = words_of(text)
    letters = _LETTER.findall(clean)
    if not letters:
        return "other", 0.0
    foreign = len(_OTHER_SCRIPTS.findall(clean))
    if foreign * 2 >= len(letters):
        return "other", foreign / len(letters)
    kana = len(_KANA.findall(clean))
    han = len(_HAN.findall(clean))
    latin = len(latin_words(clean))
    cjk_words = (han + kana) / 2
    if cjk_words == 0:
        return ("ja", _romaji_share(clean)) if romaji(clean) else _latin(clean)
    if latin > cjk_words:  # an English message quoting a name or a phrase
        lang, confidence = _latin(clean)
        return lang, confidence * latin / (latin + cjk_words)
    share = cjk_words / (latin + cjk_words)
    if kana >= 2 or (kana and kana * 10 >= han):
        return "ja", min(1.0, 0.6 + 0.4 * share + 0.05 * kana)
    evidence = japanese_kanji(clean, han, kana)
    if evidence >= 0.45:
        return "ja", 0.5 + 0.45 * evidence
    lang, script = chinese_script(clean)
    return lang, script * share * (1.0 - evidence / 2)


def _romaji_share(text: str) -> float:
    """How much of a romaji text is Japanese syllables: its raw confidence."""
    words = latin_words(text)
    return sum(bool(ROMAJI_WORD.fullmatch(w.lower())) for w in words) / max(len(words), 1)


def _latin(text: str) -> tuple[Lang, float]:
    main, latin = _detectors()
    values = main.compute_language_confidence_values(text)
    english = next((v.value for v in values if v.language == Language.ENGLISH), 0.0)
    if len(text.split()) >= 3:
        wide = {v.language: v.value for v in latin.compute_language_confidence_values(text)}
        top = max(wide, key=wide.__getitem__)
        if top != Language.ENGLISH and wide[top] >= 0.5 and wide[Language.ENGLISH] <= 0.2:
            return "other", float(wide[top])
    return "en", max(0.5, float(english))
