"""The thread a traveller's mail replies to, told from what they wrote above it.

Pure. Mail clients mark quoted history differently: an attribution ("On … wrote:",
"在 … 写道：", Japanese Gmail's "2026年12月6日(日) 10:00 名前 <addr>:"), possibly wrapped
over two lines; a separator ("-----Original Message-----", "原始邮件", "元のメッセージ");
Outlook's header block ("From:" / "发件人:" / "寄件者:" / "差出人:", bold in its
plain-text rendering, then when it was sent or its subject); and "> " lines. A "From:"
line alone is not a header block: an itinerary or a sentence starts so too. A forwarded
mail is what the traveller asks about, so it is kept: after a "Forwarded message" line,
or, when the subject says the mail forwards one (``FW:``, ``转发:``…: Outlook writes only
the forwarded mail's header block), from its first header block or separator on; cuts
then apply again below its sender line, to the forwarded mail's own thread.
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
_QUOTED = re.compile(r"\s*>")
FORWARD_SUBJECT = re.compile(
    r"\s*(?:\[[^\[\]]{0,40}\]\s*)*\[?\s*(?:FWD?|转发|轉發|轉寄|転送)\s*[:：]", re.I
)
"""A subject that says the mail forwards one: ``FW:``, ``Fwd:``, ``转发:``, ``轉寄:``,
``転送:`` (any case, full-width colon too), after tags such as ``[EXTERNAL]`` or as
``[Fwd: …]``. ``RE: FW:`` is a reply."""
BLOCK_LINES = 5
"""How far below its sender line a header block names when it was sent or its subject."""


def strip_quoted_reply(text: str, subject: str = "") -> str:
    """Keep what the traveller wrote, not the thread they replied to; ``subject`` tells a
    forward (``FORWARD_SUBJECT``), whose forwarded mail is kept."""
    lines = text.splitlines()
    start, end = _quote(lines, forwarded=bool(FORWARD_SUBJECT.match(subject)))
    kept = lines[:start] + lines[end:]
    return "\n".join(line for line in kept if not _QUOTED.match(line)).strip()


def _quote(lines: list[str], *, forwarded: bool = False) -> tuple[int, int]:
    """The lines the quoted thread takes, as ``lines[start:end]`` (empty when none).

    An attribution whose thread is quoted with "> " takes only its own lines: what stands
    below or between the quoted lines is the traveller's (a reply written under the
    quote), and the "> " lines go on their own. Any other start takes the rest, but the
    first separator or header block of a ``forwarded`` mail, which starts what it forwards.
    """
    resume = 0
    for index, line in enumerate(lines):
        if index < resume:
            continue
        if _FORWARDED.match(line):
            break
        header = _attribution(lines, index)
        if header and _quoted_below(lines[index + header :]):
            return index, index + header
        if header:
            return index, len(lines)
        if _SEPARATOR.match(line) or _header_block(lines, index):
            if not forwarded:
                return index, len(lines)
            forwarded, resume = False, _below_headers(lines, index)
    return len(lines), len(lines)


def _header_block(lines: list[str], index: int) -> bool:
    """Whether a sender line at ``index`` names, a few lines below, when or what was sent."""
    below = lines[index + 1 : index + 1 + BLOCK_LINES]
    return bool(_SENDER.match(lines[index])) and any(_BLOCK_FIELD.match(f) for f in below)


def _below_headers(lines: list[str], index: int) -> int:
    """Where to look for cuts again in a forwarded mail starting at ``index``: past its
    sender line (a separator's is below it), so its header block cuts nothing."""
    block = range(index, min(index + 1 + BLOCK_LINES, len(lines)))
    return next((i + 1 for i in block if _SENDER.match(lines[i])), index + 1)


def _attribution(lines: list[str], index: int) -> int:
    """How many lines an attribution starting at ``index`` takes: 1, 2 (wrapped) or 0."""
    if not lines[index].strip():
        return 0
    if _ATTRIBUTION.match(lines[index]):
        return 1
    if index + 1 < len(lines) and _ATTRIBUTION.match(f"{lines[index]} {lines[index + 1]}"):
        return 2
    return 0


def _quoted_below(lines: list[str]) -> bool:
    """Whether the first line with text below is a "> " quoted one."""
    return next((bool(_QUOTED.match(line)) for line in lines if line.strip()), False)
