"""Junk: what a traveller did not write in any language (issue #16: junk is ``other`` at
low confidence, never a confident answer).

No letters at all (digits, a bare link, punctuation) is junk (``language.has_language``).
So is keyboard mash in Latin letters ("asdfgh", "lkjlkj lkjlkj"): letters, but almost none
of the letter sequences any training message has. The model's own character n-gram
vocabulary (the 60,000 most useful of its training text) is the measure: in the licensed
real English sets and the hand-written messages, at least 65 % of a message's letter
trigrams are in it; in keyboard mash almost none are. Text with any other script, or too
short to tell (fewer than three trigrams), is never called junk here.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container

from services.routing.triage.language import has_language, words_of

KNOWN_SHARE = 0.3
"""Below this share of known letter trigrams, Latin-letter text is keyboard mash."""
MIN_TRIGRAMS = 3
_WORD = re.compile(r"[a-z]{2,}")
_NOT_LATIN = re.compile(r"[^\x00-\x7f]")


def is_junk(
    text: str, normalised: str, known: Container[str], situations: Collection[str] = ()
) -> bool:
    """Whether the text carries no language: no letters, or Latin keyboard mash.
    ``normalised`` is the text as the model reads it (``text.normalise``). Text in which
    the rubric reads a situation (``situations``) is no mash, however few of its trigrams
    the vocabulary knows: "my flt cxld" is the trade's shorthand for a cancelled flight."""
    return not has_language(text) or (not situations and is_mash(normalised, known))


def is_mash(normalised: str, known: Container[str]) -> bool:
    """Latin letters only, and few of their trigrams are in ``known`` (the n-gram vocabulary)."""
    folded = words_of(normalised)
    if _NOT_LATIN.search(folded):
        return False
    words = _WORD.findall(folded)
    grams = [w[i : i + 3] for w in words for i in range(len(w) - 2)]
    grams += [w for w in words if len(w) == 2]
    if len(grams) < MIN_TRIGRAMS:
        return False
    return sum(g in known for g in grams) / len(grams) < KNOWN_SHARE
