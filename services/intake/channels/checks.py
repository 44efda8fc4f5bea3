"""The checks a channel payload passes before it is normalised, each failing as ``PayloadError``.

Pure. Gateways forward what travellers and platforms send, so every way such a
payload can be malformed must end as a 422 naming the field (or a dead letter on
the bus), never as an exception from the standard library: times out of range,
e-mail headers that do not parse or decode, unknown charsets, MIME nested without
end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.errors import HeaderParseError, MessageError
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser

from contracts.text import EARLIEST

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of our clock a gateway's timestamp may be."""
MAX_MULTIPART = 20
"""MIME multipart sections in one e-mail; real mail has a handful, 1,000 nested ones
exhausted the parser's recursion."""
_MALFORMED = (HeaderParseError, MessageError, IndexError, ValueError, TypeError, AttributeError)
"""What the standard library's header parsers raise on headers they cannot read."""


class PayloadError(ValueError):
    """The payload is not what the channel sends; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ----------------------------------------------------------------- times


def sent_at(moment: datetime, now: datetime, field: str) -> datetime:
    """A gateway's timestamp: time-zone aware (naive is UTC), not before 2000, not ahead of
    ``now`` by more than the clock skew."""
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if moment < EARLIEST:
        raise PayloadError(field, "is before 2000-01-01")
    if moment > now + CLOCK_SKEW:
        raise PayloadError(field, "is in the future")
    return moment


def from_epoch(value: float, now: datetime, field: str, per_second: int = 1) -> datetime:
    """Epoch seconds (or milliseconds: ``per_second=1000``) checked before conversion, so a
    value like 1e18 is refused instead of overflowing."""
    seconds = value / per_second
    if seconds < EARLIEST.timestamp():
        raise PayloadError(field, "is before 2000-01-01")
    if seconds > (now + CLOCK_SKEW).timestamp():
        raise PayloadError(field, "is in the future")
    return datetime.fromtimestamp(seconds, UTC)


def epoch_digits(text: str, field: str) -> int:
    """Epoch seconds written as digits (WeChat's ``CreateTime``)."""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise PayloadError(field, "expected epoch seconds")
    return int(text)


# ----------------------------------------------------------------- e-mail


def parse_email(body: bytes) -> EmailMessage:
    if body.lower().count(b"multipart/") > MAX_MULTIPART:
        raise PayloadError("body", f"more than {MAX_MULTIPART} multipart sections")
    message = BytesParser(policy=policy.default).parsebytes(body)
    assert isinstance(message, EmailMessage)
    return message


def header(message: Message, name: str) -> str:
    """A header's decoded text ('' when absent). A header that does not parse, or whose bytes
    do not decode (8-bit bytes that are not UTF-8, an RFC 2047 word wrong for its charset)
    is refused: a sender name of replacement characters helps nobody."""
    try:
        value = str(message[name] or "").strip()
    except _MALFORMED as exc:
        raise PayloadError(name, "malformed header") from exc
    if "\ufffd" in value:
        raise PayloadError(name, "does not decode: encode 8-bit text per RFC 2047 or as UTF-8")
    return value


def all_headers(message: Message, name: str) -> list[str]:
    try:
        values = [str(v) for v in message.get_all(name, [])]
    except _MALFORMED as exc:
        raise PayloadError(name, "malformed header") from exc
    if any("\ufffd" in value for value in values):
        raise PayloadError(name, "does not decode: encode 8-bit text per RFC 2047 or as UTF-8")
    return values


def content(part: MIMEPart) -> str:
    """A text part's content; an unknown charset is refused by name."""
    try:
        return str(part.get_content())
    except LookupError as exc:
        raise PayloadError("body", f"unknown charset {part.get_content_charset()!r}") from exc


def filename(part: MIMEPart) -> str | None:
    try:
        return part.get_filename()
    except _MALFORMED as exc:
        raise PayloadError("attachments", "malformed file name") from exc
