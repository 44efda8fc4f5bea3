"""The languages TripCare speaks to travellers, and how a language tag maps onto them.

Shared vocabulary: notify picks templates and feedback picks pages by it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from contracts.refusals import Reason, RefusedValue

LANGUAGES = ("zh-Hans", "zh-Hant", "en", "ja")
FALLBACK_LANGUAGE = "en"

_ALIASES = {
    "zh": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh-hans": "zh-Hans",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "zh-hant": "zh-Hant",
    "en": "en",
    "ja": "ja",
}


_SPOKEN_CHINESE = {"yue": "zh-Hant", "cmn": "zh-Hans"}
"""Cantonese and Mandarin (``yue-Hant-HK``, ``cmn-Hant-TW``, the legacy ``zh-yue``) are
read as written Chinese: in the script or place their tag names, else the script most of
their readers read (Hong Kong's Traditional, the mainland's Simplified)."""
_CHINESE_SCRIPTS = {
    "hant": "zh-Hant",
    "hk": "zh-Hant",
    "mo": "zh-Hant",
    "tw": "zh-Hant",
    "hans": "zh-Hans",
    "cn": "zh-Hans",
    "sg": "zh-Hans",
}


def supported_language(tag: str | None) -> str | None:
    """Map a tag (``zh-TW``, ``ja-JP``, ``zh-Hant-HK``…) to one of ``LANGUAGES``, or None."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    if parts[0] == "zh" and parts[1:2] and parts[1] in _SPOKEN_CHINESE:
        parts = parts[1:]
    if parts[0] in _SPOKEN_CHINESE:
        scripts = (_CHINESE_SCRIPTS[p] for p in parts[1:] if p in _CHINESE_SCRIPTS)
        return next(scripts, _SPOKEN_CHINESE[parts[0]])
    for candidate in ("-".join(parts[:2]), parts[0]):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return None


def default_text(message: str | None, texts: Mapping[str, str]) -> str:
    """What a reader whose language ``texts`` (written per language) lacks is told: the
    one ``message`` given for them, else the English text (notify's fallback language,
    the likeliest read), else the first written. Nothing written is a ValueError (a 422
    at the HTTP edge)."""
    if message is not None:
        return message
    if FALLBACK_LANGUAGE in texts:
        return texts[FALLBACK_LANGUAGE]
    for text in texts.values():
        return text
    text = "nothing to tell the travellers: give message, messages or both"
    raise RefusedValue(Reason("nothing_to_tell", text))


def text_in(language: str | None, texts: Mapping[str, str], default: str) -> str:
    """The text for a reader of ``language`` (any tag): the one written in it, else
    ``default`` (``default_text``)."""
    own = supported_language(language)
    return texts.get(own, default) if own else default


# Japan's own simplified forms (shinjitai) and kokuji: written in Japanese, in neither
# Simplified nor Traditional Chinese. A data table.
JAPANESE_ONLY_HAN = frozenset(
    "亜悪圧囲隠栄営駅円応桜穏価拡覚楽陥勧歓観関気帰犠拠挙駆経継軽険圏検験県顕広済剤雑"
    "賛歯児実釈収従渋縦処焼奨乗浄剰畳譲図酔摂専戦銭繊荘捜挿巣総騒増蔵臓続対帯滝択沢単"
    "団弾遅庁聴鉄転伝稲闘徳読悩脳廃拝売発髪抜浜払仏変辺弁豊毎満黙訳薬様頼覧竜両緑涙霊"
    "齢歴労録枠込畑峠働匂戻徴鉱縄亀"
)
# Words that are Japanese in kanji and not Chinese usage. A data table.
JAPANESE_WORDS = re.compile(r"予約|出張|宿泊|欠航|運休|領収|払戻|振替|御中|依頼|発券|搭乗|至急")
"""Kanji that say a text is Japanese, not Chinese ("領収書再発行依頼", "搭乗便欠航"): intake's
guess of the acknowledgement's language and routing's triage read them alike."""
LINKS = re.compile(
    r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|[A-Za-z0-9.-]+\.(?:com|net|org|cn|jp|tw|hk)\b[!-~]*"
)
"""Links, e-mail addresses and bare domains: no language of their own. ASCII only, so a
Chinese or Japanese sentence written against an address (``邮箱是amy.wong@acme.com``) is not
taken for part of it. Routing's triage and intake's guess of a follow-up remove them alike."""
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z'’]*(?![A-Za-z0-9])")
"""A word of Latin letters; flight numbers and codes ("CA1501", "T2") are not words."""
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def latin_words(text: str) -> list[str]:
    """The Latin words that speak English. Next to Chinese or Japanese, capitalised words
    alone ("Hilton Tokyo Bay予約確認", "Marriott Pudong预订确认") name a hotel or a place and
    speak none: counted, they outnumbered the kanji and the text read as English. Intake's
    guess and routing's triage count alike."""
    words = LATIN_WORD.findall(text)
    if _CJK.search(text) and all(word[0].isupper() and word[1:].islower() for word in words):
        return []
    return words


_MORA = r"(?:(?:[kgsztdnhbpmr]y|sh|ch|ts|j|[kgsztdnhbpmrwyf])?[aiueo]|n)"
ROMAJI_WORD = re.compile(rf"(?:(?:k(?=k)|s(?=s)|t(?=t)|p(?=p)|c(?=ch))?{_MORA})+")
"""A word made of Japanese syllables in Hepburn romanisation ("shucchou", "kippu"); many
short English words are too ("go", "time", "name"), so it is never evidence alone."""
ROMAJI_MARKER = re.compile(
    r"desu|deshita|deshou|kudasai|onegai(?:shimasu|itashimasu)?|gozaimas(?:u|hita)|sumimasen"
    r"|arigatou|wo|[a-z]*ma(?:su|shita|sen|shou)"
)
"""Romaji no English sentence says: the copula, polite verb endings, set phrases, the
particle を. A data table."""
ROMAJI_PARTICLES = frozenset({"ga", "no", "ni", "wa", "de", "mo"})
ROMAJI_SHARE = 0.8
"""Of a text's words, the share that must be Japanese syllables: English naming Osaka
("I'm in Osaka and my hotel…") or a shop ("the Kudasai Sushi reservation") is far below."""


def romaji(text: str) -> bool:
    """Japanese written in Latin letters ("Hikouki ga kekkou ni narimashita"): no Chinese or
    Japanese script, nearly every word Japanese syllables, and a romaji marker said (a
    polite ending or set phrase, or two particles such as "ga" and "ni"). Intake's guess and
    routing's triage read it alike."""
    if _CJK.search(text):
        return False
    words = [w.lower() for w in LATIN_WORD.findall(text)]
    if not words:
        return False
    syllables = sum(bool(ROMAJI_WORD.fullmatch(w)) for w in words)
    markers = sum(bool(ROMAJI_MARKER.fullmatch(w)) for w in words)
    particles = len(ROMAJI_PARTICLES.intersection(words))
    return syllables >= ROMAJI_SHARE * len(words) and (markers >= 1 or particles >= 2)
