"""A cheap guess of a contact's language, for the acknowledgement only."""

from __future__ import annotations

import re

import opencc

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_to_simplified = opencc.OpenCC("t2s")


def guess_language(text: str) -> str:
    """zh-Hans, zh-Hant, ja or en, from the script alone: enough to acknowledge.

    Routing's classifier decides properly; this only picks the acknowledgement's
    language when the gateway gave no hint. Kana means Japanese; Han characters
    that Simplified conversion changes mean Traditional.
    """
    if _KANA.search(text):
        return "ja"
    han = "".join(_HAN.findall(text))
    if han and len(han) * 2 >= len(_LATIN.findall(text)) / 3:
        return "zh-Hant" if _to_simplified.convert(han) != han else "zh-Hans"
    return "en"


# --------------------------------------------------------------- normalisers
