"""What an agent's search words match in tickets: the same words in either Chinese script,
and as an IME types letters and digits full-width.

A desk reads both scripts: an agent in Shanghai types 发票 for a Taipei traveller's 發票,
and a traveller types ``ＣＡ１５０１`` where the agent types ``CA1501``. The search was a
literal match, so those tickets were not found.
"""

from __future__ import annotations

import re

import opencc

_TO_SIMPLIFIED = opencc.OpenCC("t2s")
_TO_TRADITIONAL = opencc.OpenCC("s2t")
_FULL_WIDTH_OFFSET = 0xFEE0
"""``A`` (U+0041) is ``Ａ`` (U+FF21): every printable ASCII character's full-width form."""


def _forms(char: str) -> set[str]:
    forms = {char, _TO_SIMPLIFIED.convert(char), _TO_TRADITIONAL.convert(char)}
    if char.isascii() and char.isalnum():
        forms.add(chr(ord(char) + _FULL_WIDTH_OFFSET))
    return {form for form in forms if len(form) == 1}


def search_pattern(words: str) -> str:
    """A regular expression (for ``$regex``, case-insensitive) matching ``words`` in either
    Chinese script and in full-width letters and digits: ``发票`` is ``[发發]票``."""
    parts = []
    for char in words:
        forms = _forms(char)
        if len(forms) == 1:
            parts.append(re.escape(char))
        else:
            parts.append("[" + "".join(re.escape(form) for form in sorted(forms)) + "]")
    return "".join(parts)
