"""The text the triage model reads: one normalisation, shared by the model and its rules."""

from __future__ import annotations

import re
import unicodedata

import opencc

T2S = opencc.OpenCC("t2s.json")
S2T = opencc.OpenCC("s2t.json")
_DIGITS = re.compile(r"\d+")


def normalise(text: str) -> str:
    """The model's view of a text: NFKC, Simplified script, lower case, digits as ``0``.

    Folding Traditional into Simplified lets both scripts share what was learnt;
    folding digit runs keeps order and flight numbers from being memorised.
    """
    folded = T2S.convert(unicodedata.normalize("NFKC", text)).lower()
    return _DIGITS.sub("0", folded)


def pattern(*alternatives: str) -> re.Pattern[str]:
    """A regular expression over normalised text, written in any script: its characters
    are folded the same way (Traditional and Japanese kanji to their Simplified forms)."""
    return re.compile(T2S.convert("|".join(f"(?:{a})" for a in alternatives)))
