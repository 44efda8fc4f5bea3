"""A mail longer than a contact's text: shortened to fit, its full text kept as a file.

Pure. A traveller's pasted itinerary, long complaint or forwarded thread is a contact to
answer, not one to refuse for its length: the ticket's text is the mail's, cut at a line
end (else after a sentence, else at a space, else at the cap: Chinese and Japanese need
no spaces) near the contact's 20,000 characters, with a marker at its end saying so; the
whole text goes with the mail's files as ``message.txt`` (UTF-8), within the room the
attachment limits leave it, and the marker says when only part of it, or none, fitted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

TEXT_MAX = 20_000
"""A contact's text, as ``contracts.events.ContactReceived`` bounds it."""
FULL_TEXT_NAME = "message.txt"
_WINDOW = 1_000
"""How far below the cap a line end, sentence end or space is looked for."""
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|[。！？；]")


class Kept(StrEnum):
    """How much of the full text the attachment holds."""

    WHOLE = "whole"
    PART = "part"
    NONE = "none"


SHORTENED: dict[str, dict[Kept, str]] = {
    "en": {
        Kept.WHOLE: "[Message shortened: the full text is attached as message.txt]",
        Kept.PART: "[Message shortened: message.txt holds the text up to the attachment "
        "size limit]",
        Kept.NONE: "[Message shortened: the rest of the text could not be attached]",
    },
    "zh-Hans": {
        Kept.WHOLE: "[邮件已截短：完整内容见附件 message.txt]",
        Kept.PART: "[邮件已截短：附件 message.txt 只含正文的前一部分（超出附件大小上限）]",
        Kept.NONE: "[邮件已截短：其余内容无法作为附件保存]",
    },
    "zh-Hant": {
        Kept.WHOLE: "[郵件已截短：完整內容見附件 message.txt]",
        Kept.PART: "[郵件已截短：附件 message.txt 只含正文的前一部分（超出附件大小上限）]",
        Kept.NONE: "[郵件已截短：其餘內容無法作為附件保存]",
    },
    "ja": {
        Kept.WHOLE: "[メッセージは短縮されました：全文は添付の message.txtにあります]",
        Kept.PART: "[メッセージは短縮されました：添付の message.txtは本文の前半のみです"
        "（添付サイズの上限）]",
        Kept.NONE: "[メッセージは短縮されました：残りの本文は添付できませんでした]",
    },
}
"""The marker a shortened text ends with, in the mail's language as ``ATTACHMENTS_ONLY``."""


@dataclass(frozen=True)
class Fitted:
    """The contact's text, and the bytes of ``message.txt`` when the text was shortened
    and some of it fitted."""

    text: str
    attachment: bytes | None = None


def fitted(text: str, language: str, room: int) -> Fitted:
    """``text`` as it is when within ``TEXT_MAX``, else shortened with the marker in
    ``language``; ``room``: the bytes a further file may have (0: no file may be added)."""
    if len(text) <= TEXT_MAX:
        return Fitted(text)
    full = text.encode(errors="replace")
    attachment: bytes | None = full[:room].decode("utf-8", "ignore").encode() or None
    if attachment is None:
        kept = Kept.NONE
    elif attachment == full:
        kept = Kept.WHOLE
    else:
        kept = Kept.PART
    marker = SHORTENED[language][kept]
    return Fitted(f"{cut_near(text, TEXT_MAX - len(marker) - 2)}\n\n{marker}", attachment)


def cut_near(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``: up to the last line end, sentence end or
    space within ``_WINDOW`` of the limit, else the limit itself (not between a letter and
    its combining mark), without trailing spaces."""
    if len(text) <= limit:
        return text
    low = max(limit - _WINDOW, 0)
    end = text.rfind("\n", low, limit + 1)
    if end < 0:
        ends = [m.end() for m in _SENTENCE_END.finditer(text, low, limit + 1)]
        end = max((e for e in ends if e <= limit), default=-1)
    if end < 0:
        end = text.rfind(" ", low, limit + 1)
    if end < 0:
        end = limit
        while end > low and unicodedata.combining(text[end]):
            end -= 1
    return text[:end].rstrip()
