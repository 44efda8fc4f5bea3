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


_SIGNATURE_START = re.compile(
    r"(?:--|—)[ \t]*$"
    r"|(?:Sent from my|Get Outlook for|发自我的|發自我的|从我的|從我的).{0,40}$"
    r"|.{0,20}(?:から送信)$"
    r"|(?:CONFIDENTIALITY NOTICE|DISCLAIMER|LEGAL NOTICE)\b"
    r"|This (?:e-?mail|message|communication)\b.{0,80}"
    r"\b(?:confidential|privileged|intended (?:only )?for)"
    r"|(?:免责声明|免責聲明|保密声明|保密聲明|免責事項|機密保持)"
    r"|(?:本|此|该|該)(?:电子|電子)?(?:邮件|郵件).{0,30}(?:保密|機密|机密|秘密)"
    r"|(?:この|本)(?:電子)?メール.{0,40}(?:機密|秘密|守秘)",
    re.I,
)
"""Where a mail's sign-off starts: the RFC 3676 delimiter, a phone's "Sent from my iPhone"
(发自我的 iPhone, iPhoneから送信), a legal disclaimer's opening in the four languages."""


def message_of(text: str) -> str:
    """What the traveller wrote, without the signature and legal disclaimer a mail ends
    with: "notify the sender immediately" and "禁じられています" are the company's words,
    and read as the traveller's made a thank-you urgent or negative. Cut at the first
    line that starts one, when something stands above it; the ticket keeps it all."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index and _SIGNATURE_START.match(line.strip()) and "\n".join(lines[:index]).strip():
            return "\n".join(lines[:index]).rstrip()
    return text
