"""A message body as long as its channel takes it, cut at a clean place when it is longer.

The platforms' limits, as their documents state them:

- SMS (Twilio's Messages API, error 21617): 1,600 characters, where an emoji or any other
  character outside the Basic Multilingual Plane counts as two, so measured in UTF-16
  code units; a longer body is refused and the traveller got nothing on SMS;
- WeChat (customer-service text, error 45002 past it), WeCom (application text message,
  "最长不超过2048个字节，超过将截断") and DingTalk (work notices): 2,048 bytes of UTF-8; WeCom
  cut a longer one itself, mid-character, mid-emoji or mid-link;
- e-mail, web chat and the in-app inbox: no limit notify needs to honour.

A cut ends with an ellipsis, so a traveller sees the text goes on; it falls after the last
space or sentence mark near the limit (a Chinese or Japanese text has no spaces: after
its last 。，！？、), else between two glyphs, never inside one (an emoji sequence joined
by U+200D, a flag, a letter and its combining accent). The message's link, when the cut
would drop or break it, is kept whole on a line of its own after the ellipsis: it is where
the rest can be read. A message whose text holds no link (an agent's reply) is given its
traveller's tracking page for the cut (``Dispatcher``), and ends "… full reply: <link>" in
its language (``READ_ON``). Pure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from contracts.events import ReplyChannel
from contracts.languages import FALLBACK_LANGUAGE

ELLIPSIS = "…"
LOOK_BACK = 5
"""A clean place is looked for in the last 1/LOOK_BACK of what fits; before it, any glyph
boundary will do (a long unbroken word or URL)."""
BREAKS = frozenset(" \t\n。，！？、；：）」』】")
"""After these a cut reads as clean: a space, or a Chinese or Japanese clause or sentence
mark (an ASCII one only with a space after it: ``09:40`` and ``3.5`` are not breaks)."""
_JOINERS = frozenset("\u200d\u200c\ufe0e\ufe0f\u20e3")
_REGIONAL = range(0x1F1E6, 0x1F200)
_MODIFIERS = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)


def utf16_length(text: str) -> int:
    """``text`` as Twilio counts it: characters beyond U+FFFF count twice."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


MEASURES: dict[ReplyChannel, tuple[int, Callable[[str], int]]] = {
    ReplyChannel.SMS: (1_600, utf16_length),
    ReplyChannel.WECHAT: (2_048, utf8_length),
    ReplyChannel.WECOM: (2_048, utf8_length),
    ReplyChannel.DINGTALK: (2_048, utf8_length),
}
"""Each limited channel's limit and how it measures text (module docstring)."""
READ_ON = {
    "en": f"{ELLIPSIS} full reply: ",
    "zh-Hans": f"{ELLIPSIS * 2}完整回复：",
    "zh-Hant": f"{ELLIPSIS * 2}完整回覆：",
    "ja": f"{ELLIPSIS * 2}返信の全文：",
}
"""How a cut message whose text named no link ends, before the link where the rest is."""


def cut(body: str, channel: ReplyChannel) -> bool:
    """Whether ``channel`` takes ``body`` only cut."""
    if channel not in MEASURES:
        return False
    limit, measure = MEASURES[channel]
    return measure(body) > limit


def fitted(
    body: str, channel: ReplyChannel, link: str | None = None, language: str = FALLBACK_LANGUAGE
) -> str:
    """``body`` as ``channel`` takes it: whole when it fits, else cut cleanly (module
    docstring), with ``link`` whole after the ellipsis when the cut would lose it — after
    "full reply:" in ``language`` when the text never named it."""
    if not cut(body, channel):
        return body
    limit, measure = MEASURES[channel]
    tail = _tail(body, link, language)
    if measure(tail) >= limit:
        tail = ELLIPSIS
    kept = _longest_prefix(body, limit - measure(tail), measure)
    if tail != ELLIPSIS and link is not None and link in kept:
        tail = ELLIPSIS
        kept = _longest_prefix(body, limit - measure(tail), measure)
    return _clean_end(kept) + tail


def _tail(body: str, link: str | None, language: str) -> str:
    """What follows the cut: the ellipsis, and the link to the rest when there is one."""
    if not link:
        return ELLIPSIS
    if link in body:
        return f"{ELLIPSIS}\n{link}"
    return READ_ON.get(language, READ_ON[FALLBACK_LANGUAGE]) + link


def _longest_prefix(body: str, budget: int, measure: Callable[[str], int]) -> str:
    """The longest start of ``body`` within ``budget`` that ends between two glyphs."""
    low, high = 0, len(body)
    while low < high:  # the longest prefix within budget: measures grow with length
        middle = (low + high + 1) // 2
        if measure(body[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    end = low
    while 0 < end < len(body) and _continues_glyph(body, end):
        end -= 1
    return body[:end]


def _continues_glyph(body: str, at: int) -> bool:
    """Whether ``body[at]`` belongs to the glyph ``body[at - 1]`` is part of."""
    char, before = body[at], body[at - 1]
    if char in _JOINERS or before == "\u200d" or unicodedata.combining(char):
        return True
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    code = ord(char)
    if code in _MODIFIERS or code in _TAGS:
        return True
    if code in _REGIONAL and ord(before) in _REGIONAL:
        return _regional_run(body, at) % 2 == 1  # the second half of a flag
    return False


def _regional_run(body: str, at: int) -> int:
    """How many regional indicators come right before ``body[at]``."""
    count = 0
    while at - count - 1 >= 0 and ord(body[at - count - 1]) in _REGIONAL:
        count += 1
    return count


def _clean_end(kept: str) -> str:
    """``kept`` up to its last space or sentence mark near its end, without trailing spaces;
    ``kept`` itself when none is near (one long word, a long link)."""
    floor = len(kept) - len(kept) // LOOK_BACK
    for end in range(len(kept), floor, -1):
        if kept[end - 1] in BREAKS:
            return kept[:end].rstrip()
    return kept.rstrip()
