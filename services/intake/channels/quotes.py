"""The thread a traveller's mail replies to, told from what they wrote above it.

Pure. Mail clients mark quoted history differently: an attribution ("On … wrote:",
"在 … 写道：", Japanese Gmail's "2026年12月6日(日) 10:00 名前 <addr>:"), possibly wrapped
over two lines; a separator ("-----Original Message-----", "原始邮件", "元のメッセージ");
Outlook's header block ("From:" / "发件人:" / "寄件者:" / "差出人:", bold in its
plain-text rendering, then when it was sent or its subject); and "> " lines. A "From:"
line alone is not a header block: an itinerary or a sentence starts so too. A forwarded
mail is what the traveller asks about, so it is kept.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"\s*(?:On\b.{4,240}\bwrote:|在.{2,160}写道[:：]?|於.{2,160}寫道[:：]?"
    r"|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,120}<[^<>\s]+@[^<>\s]+>\s*[:：])\s*$"
)
_SEPARATOR = re.compile(
    r"\s*-{2,}\s*(?:Original Message|原始邮件|原始郵件|元のメッセージ|Reply Message)\s*-{2,}\s*$",
    re.I,
)
_FORWARDED = re.compile(
    r"\s*(?:-{2,}\s*(?:Forwarded message|转发邮件|转发的邮件|轉寄郵件|轉寄的郵件"
    r"|転送されたメッセージ|転送メッセージ)\s*-{2,}|Begin forwarded message:)\s*$",
    re.I,
)
_SENDER = re.compile(r"[*\s]*(?:From|发件人|寄件者|寄件人|差出人)[*\s]*[:：]", re.I)
_BLOCK_FIELD = re.compile(
    r"[*\s]*(?:Sent|Subject|发送时间|发送日期|主题|寄件日期|主旨|送信日時|件名)[*\s]*[:：]", re.I
)
BLOCK_LINES = 5
"""How far below its sender line a header block names when it was sent or its subject."""


def strip_quoted_reply(text: str) -> str:
    """Keep what the traveller wrote, not the thread they replied to."""
    lines = text.splitlines()
    kept = lines[: _quote_start(lines)]
    return "\n".join(line for line in kept if not line.lstrip().startswith(">")).strip()


def _quote_start(lines: list[str]) -> int:
    """The index of the line the quoted thread starts at (``len(lines)`` when none does)."""
    for index, line in enumerate(lines):
        if _FORWARDED.match(line):
            return len(lines)
        wrapped = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if _SEPARATOR.match(line) or _ATTRIBUTION.match(line) or _ATTRIBUTION.match(wrapped):
            return index
        below = lines[index + 1 : index + 1 + BLOCK_LINES]
        if _SENDER.match(line) and any(_BLOCK_FIELD.match(field) for field in below):
            return index
    return len(lines)
