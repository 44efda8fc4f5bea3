"""Which mail no person wrote, read from its headers: bounces, auto-replies, list or bulk
mail (what intake does with each: ``services.intake.domain.automatic``). Pure.
"""

from __future__ import annotations

from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import parseaddr

from services.intake.domain.automatic import Automatic

_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_REPORTS = frozenset({"delivery-status", "disposition-notification"})
_BULK = frozenset({"bulk", "list", "junk"})
_RETURNED = frozenset({"message/rfc822", "text/rfc822-headers", "message/global-headers"})


def _value(message: Message, name: str) -> str:
    try:
        return str(message.get(name) or "").strip().lower()
    except (ValueError, TypeError, IndexError, AttributeError):
        return "?"  # present but unreadable: present


def kind_of(message: Message) -> Automatic | None:
    """What kind of automatic mail this is, by its headers; None for a person's mail."""
    sender = parseaddr(_value(message, "From"))[1].split("@")[0]
    report = message.get_content_type() == "multipart/report"
    if sender in _DAEMONS or (report and message.get_param("report-type") in _REPORTS):
        return Automatic.BOUNCE
    submitted = _value(message, "Auto-Submitted")
    precedence = _value(message, "Precedence")
    if (
        (submitted and submitted != "no")
        or precedence == "auto_reply"
        or any(message.get(name) is not None for name in ("X-Autoreply", "X-Autorespond"))
        or message.get("X-Auto-Response-Suppress") is not None
    ):
        return Automatic.AUTO_REPLY
    if precedence in _BULK or message.get("List-Id") is not None:
        return Automatic.BULK
    return None


def returned_headers(message: EmailMessage) -> tuple[str, str]:
    """A bounce's returned mail: its Message-ID and References (our notice's, naming the
    ticket), or blanks when the report does not carry it."""
    for part in message.walk():
        if part.get_content_type() not in _RETURNED:
            continue
        payload = part.get_payload()
        first = payload[0] if isinstance(payload, list) and payload else None
        returned = first if isinstance(first, Message) else HeaderParser().parsestr(str(payload))
        return _raw(returned, "Message-ID"), _raw(returned, "References")
    return "", ""


def _raw(message: Message, name: str) -> str:
    try:
        return str(message.get(name) or "").strip()
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""
