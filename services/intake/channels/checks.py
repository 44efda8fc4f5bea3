"""The checks a channel payload passes before it is normalised, each failing as ``PayloadError``.

Pure. Gateways forward what travellers and platforms send, so every way such a
payload can be malformed must end as a 422 naming the field (or a dead letter on
the bus), never as an exception from the standard library: times out of range,
e-mail headers that do not parse or decode, unknown charsets, MIME nested without
end.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError, InvalidHeaderDefect, MessageError
from email.feedparser import BytesFeedParser
from email.message import EmailMessage, Message, MIMEPart
from email.policy import EmailPolicy, Policy

from contracts.text import EARLIEST

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of our clock a gateway's timestamp may be."""
MAX_MULTIPART = 20
"""MIME sections in one e-mail: the parts of its multiparts and attached messages, nested
ones included. Real mail has a handful; 1,000 nested ones exhausted the parser's
recursion, 100,000 parts took seconds of CPU."""
_MALFORMED = (HeaderParseError, MessageError, IndexError, ValueError, TypeError, AttributeError)
"""What the standard library's header parsers raise on headers they cannot read."""


class PayloadError(ValueError):
    """The payload is not what the channel sends; ``loc`` names the culprit as a 422's
    ``loc`` does (a list index stays a number), ``field`` is the same dotted."""

    def __init__(self, field: str | tuple[str | int, ...], message: str) -> None:
        self.loc = (field,) if isinstance(field, str) else field
        self.field = ".".join(str(part) for part in self.loc)
        super().__init__(f"{self.field}: {message}")
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


_WIDER_CHARSETS = {
    **dict.fromkeys(
        [
            "gb2312",
            "gbk",
            "x-gbk",
            "cp936",
            "ms936",
            "windows-936",
            "euc-cn",
            "csgb2312",
            "gb_2312-80",
            "chinese",
        ],
        "gb18030",
    ),
    **dict.fromkeys(
        [
            "shift_jis",
            "shift-jis",
            "sjis",
            "x-sjis",
            "csshiftjis",
            "ms_kanji",
            "windows-31j",
            "ms932",
        ],
        "cp932",
    ),
    **dict.fromkeys(["big5", "csbig5", "cn-big5", "x-x-big5", "big5-hkscs"], "big5hkscs"),
}
"""Legacy CJK charset labels, read as the supersets mail clients and browsers read them
(the WHATWG Encoding Standard): mailers label GBK text GB2312, Windows mail Shift_JIS with
CP932's ①, ㈱ and NEC characters, Hong Kong mail Big5 with HKSCS characters. Read by the
label's own narrow codec, a subject naming "㈱トラベル" or "喆" did not decode at all."""
_CHARSET_LABEL = re.compile(r"(=\?)([^?*\s]+)|(\*=\s*\"?)([^'\"\s;]+)(?=')")
"""The charset of an RFC 2047 encoded word (``=?gb2312?B?…?=``) or of an RFC 2231
parameter value (``filename*=gb2312''…``)."""


def wider_charset(label: str) -> str:
    """The codec to read text labelled ``label`` with: its superset, or the label itself."""
    return _WIDER_CHARSETS.get(label.strip().lower(), label)


_XML_ENCODING = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
_EXPAT_CHARSETS = frozenset(["utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1"])


def xml_text(body: bytes) -> bytes | str:
    """An XML body as its parser can read it. expat reads no multi-byte charset but UTF-8 and
    UTF-16 (a relay's ``encoding="GBK"`` is "multi-byte encodings are not supported", an
    unknown label a ``LookupError``), so a body declaring another is decoded here: UTF-8
    bytes as UTF-8 (the platforms' own encoding, whatever a relay's label says; GBK Chinese is
    no valid UTF-8), else by the label's superset as mail is read (``wider_charset``)."""
    found = _XML_ENCODING.match(body)
    label = found.group(1).decode().lower() if found else "utf-8"
    if label in _EXPAT_CHARSETS:
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode(wider_charset(label))
    except LookupError as exc:
        raise PayloadError("body", "the XML declares an unknown encoding") from exc
    except UnicodeDecodeError as exc:
        raise PayloadError("body", f"the bytes are not the declared {label[:40]}") from exc


def _wider_labels(value: str) -> str:
    def wider(found: re.Match[str]) -> str:
        if found.group(1):
            return found.group(1) + wider_charset(found.group(2))
        return found.group(3) + wider_charset(found.group(4))

    return _CHARSET_LABEL.sub(wider, value)


class _MailPolicy(EmailPolicy):
    """The standard library's RFC 5322 policy, reading legacy CJK labels as their supersets."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if "=?" in value or "*=" in value:
            value = _wider_labels(value)
        parsed: str = super().header_fetch_parse(name, value)
        return parsed


MAIL_POLICY = _MailPolicy()
"""How every inbound e-mail is parsed: the default policy, with ``wider_charset``."""


class _Sections:
    """The parser's message factory, counting as it goes: the 21st section stops the parse,
    so thousands of parts or nesting without end cost no more than that."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self, policy: Policy = MAIL_POLICY) -> EmailMessage:
        self.made += 1
        if self.made > MAX_MULTIPART + 1:  # the message itself, then its sections
            raise PayloadError("body", f"more than {MAX_MULTIPART} multipart sections")
        return EmailMessage(policy)


def parse_email(body: bytes) -> EmailMessage:
    sections = _Sections()
    parser = BytesFeedParser(sections, policy=MAIL_POLICY)
    sections.made = 0  # the parser made one to learn the factory's signature
    parser.feed(body)
    message = parser.close()
    assert isinstance(message, EmailMessage)
    return message


def message_id_of(message: Message) -> str:
    """The Message-ID, the contact's id and often its thread's: one ``<left@right>`` as the
    standard library's RFC 5322 parser reads it (it keeps a malformed value, with a defect)."""
    value = header(message, "Message-ID")
    if not value:
        raise PayloadError("Message-ID", "missing")
    defects = getattr(message["Message-ID"], "defects", ())
    if any(isinstance(defect, InvalidHeaderDefect) for defect in defects):
        raise PayloadError("Message-ID", "malformed: expected one <id@domain>")
    return value


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
    """A text part's content (a legacy CJK charset read as its superset); an unknown charset
    is refused by name."""
    charset = part.get_content_charset()
    try:
        if charset and (wider := wider_charset(charset)) != charset:
            payload = part.get_payload(decode=True)
            return payload.decode(wider, errors="replace") if isinstance(payload, bytes) else ""
        return str(part.get_content())
    except LookupError as exc:
        raise PayloadError("body", f"unknown charset {part.get_content_charset()!r}") from exc


def filename(part: MIMEPart) -> str | None:
    try:
        return part.get_filename()
    except _MALFORMED as exc:
        raise PayloadError("attachments", "malformed file name") from exc
