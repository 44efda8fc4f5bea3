"""Which mail no person wrote, read from its headers: bounces, auto-replies, list or bulk
mail; and which asks for no automatic answer (what intake does with each:
``services.intake.domain.automatic``). Pure.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import parseaddr

from contracts.mail import DELIVERY_HEADER
from services.intake.domain.automatic import Automatic
from services.intake.domain.bounces import (
    DSN_ACTION,
    DSN_DELIVERY_ID,
    DSN_DIAGNOSTIC,
    DSN_RECIPIENT,
    DSN_STATUS,
    REPORT_TYPE,
)

_DAEMONS = frozenset({"mailer-daemon", "postmaster"})
_REPORTS = frozenset({"delivery-status", "disposition-notification"})
_BULK = frozenset({"bulk", "list", "junk"})
_RECEIPTS_ONLY = frozenset({"none", "dr", "ndr", "rn", "nrn"})
"""X-Auto-Response-Suppress values (MS-OXCMAIL 2.2.3.2.14) that leave automatic answers
allowed: none, or only delivery and read receipts."""
_RETURNED = frozenset({"message/rfc822", "text/rfc822-headers", "message/global-headers"})
_REPORT_PARTS = _RETURNED | {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/global-disposition-notification",
    "message/global",
}
"""A bounce's machine parts (RFC 3464, 6533): the status and the returned mail or headers."""
_STATUS_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _value(message: Message, name: str) -> str:
    try:
        return str(message.get(name) or "").strip().lower()
    except (ValueError, TypeError, IndexError, AttributeError):
        return "?"  # present but unreadable: present


def _report_type(message: Message) -> str:
    """A multipart/report's type; a MIME token, so in any case (RFC 2045 section 5.1)."""
    return str(message.get_param("report-type") or "").lower()


def kind_of(message: Message) -> Automatic | None:
    """What kind of automatic mail this is, by its headers; None for a person's mail."""
    sender = parseaddr(_value(message, "From"))[1].split("@")[0]
    report = message.get_content_type() == "multipart/report"
    if sender in _DAEMONS or (report and _report_type(message) in _REPORTS):
        return Automatic.BOUNCE
    submitted = _value(message, "Auto-Submitted")
    precedence = _value(message, "Precedence")
    if (
        (submitted and submitted != "no")
        or precedence == "auto_reply"
        or any(message.get(name) is not None for name in ("X-Autoreply", "X-Autorespond"))
    ):
        return Automatic.AUTO_REPLY
    if precedence in _BULK or message.get("List-Id") is not None:
        return Automatic.BULK
    return None


def auto_response_suppressed(message: Message) -> str | None:
    """The sender's X-Auto-Response-Suppress when it asks for no automatic answer (``All``,
    ``OOF``, ``AutoReply``, or a value we cannot read); None when absent or when it only
    suppresses receipts. Outlook and Exchange put it on mail a person wrote: it asks not to
    be answered automatically, it does not make the mail automatic."""
    if message.get("X-Auto-Response-Suppress") is None:
        return None
    value = _raw(message, "X-Auto-Response-Suppress")
    tokens = {token.strip().lower() for token in value.split(",")}
    return None if tokens <= _RECEIPTS_ONLY else value[:200] or "?"


def attached_parts(message: EmailMessage) -> list[EmailMessage]:
    """A mail's attachments. A bounce's report parts (the delivery status, the returned mail
    or its headers) are the report, read for threading, not files the sender attached: on the
    ticket they read "Attachment not kept: attachment (message/delivery-status, 0 B)"."""
    bounce = kind_of(message) is Automatic.BOUNCE
    return [
        part
        for part in message.iter_attachments()
        if isinstance(part, EmailMessage)
        and not (bounce and part.get_content_type() in _REPORT_PARTS)
    ]


def part_bytes(part: Message) -> bytes:
    """A part's content, decoded; an attached message (``message/*``, which
    ``get_payload(decode=True)`` answers None for) as its bytes."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()
    try:
        if isinstance(inner, list):
            return b"".join(m.as_bytes() for m in inner if isinstance(m, Message))
        return str(inner or "").encode("utf-8", "replace")
    except (ValueError, TypeError, LookupError, UnicodeError):
        return b""


def returned_headers(message: EmailMessage) -> tuple[str, str, dict[str, str]]:
    """A bounce's returned mail: its Message-ID and References (our notice's, naming the
    ticket), or blanks when the report does not carry it; and its delivery id (which proves
    the mail ours, ``domain.bounces``) as contact metadata."""
    for part in message.walk():
        if part.get_content_type() not in _RETURNED:
            continue
        payload = part.get_payload()
        first = payload[0] if isinstance(payload, list) and payload else None
        returned = first if isinstance(first, Message) else HeaderParser().parsestr(str(payload))
        delivery_id = _line(_raw(returned, DELIVERY_HEADER), 64)
        proof = {DSN_DELIVERY_ID: delivery_id} if delivery_id else {}
        return _raw(returned, "Message-ID"), _raw(returned, "References"), proof
    return "", "", {}


def _raw(message: Message, name: str) -> str:
    try:
        return str(message.get(name) or "").strip()
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""


def delivery_report(message: Message) -> dict[str, str]:
    """What a bounce reports, as contact metadata: its report type, and of its first failed
    recipient (else its first) the action, status, diagnostic and address. Empty when it
    carries no readable delivery status (a MAILER-DAEMON's plain text)."""
    report: dict[str, str] = {}
    if message.get_content_type() == "multipart/report":
        report[REPORT_TYPE] = _line(_report_type(message), 64)
    recipients = [block for part in message.walk() for block in _recipient_blocks(part)]
    failed = [block for block in recipients if _value(block, "Action") == "failed"]
    for chosen in (failed or recipients)[:1]:
        report[DSN_ACTION] = _line(_value(chosen, "Action"), 32)
        report[DSN_STATUS] = _line(_raw(chosen, "Status").split(" ")[0], 32)
        report[DSN_DIAGNOSTIC] = _line(_raw(chosen, "Diagnostic-Code"), 1_000)
        recipient = _raw(chosen, "Final-Recipient") or _raw(chosen, "Original-Recipient")
        report[DSN_RECIPIENT] = _line(recipient.rpartition(";")[2], 320)
    return {key: value for key, value in report.items() if value}


def _recipient_blocks(part: Message) -> list[Message]:
    """The per-recipient field groups of a delivery status part (those naming a recipient or
    an action, not the per-message one); the parser splits ``message/delivery-status``
    itself, the UTF-8 ``message/global-delivery-status`` is split here."""
    if part.get_content_type() not in _STATUS_PARTS:
        return []
    payload = part.get_payload()
    if part.get_content_type() == "message/delivery-status" and isinstance(payload, list):
        blocks = [block for block in payload if isinstance(block, Message)]
    else:
        text = part_bytes(part).decode("utf-8", "replace").replace("\r\n", "\n")
        blocks = [HeaderParser().parsestr(group) for group in text.split("\n\n")]
    return [b for b in blocks if _raw(b, "Action") or _raw(b, "Final-Recipient")]


def _line(value: str, limit: int) -> str:
    """One line within ``limit``: unfolded, without control characters."""
    return " ".join(_UNPRINTABLE.sub(" ", value).split())[:limit].strip()
