"""Clean, bounded values for inbound models: what gateways, partners and people may send us.

The rules, refused with a message naming the field (a 422 at the HTTP edge, a dead
letter on the bus), so nothing of the kind is ever stored:

- no NUL and no other control characters; free text (``free_text``) may hold tabs and
  line breaks, one-line values (``one_line``) may not, nor any Unicode line break
  (U+0085, U+2028, U+2029: Python's mail headers break lines at them too). A one-line
  value read from a mail header is ``flattened`` instead (a break becomes a space);
- no lone surrogates: they cannot be encoded as UTF-8, so no store could keep them;
- text holds something visible: whitespace, control and format characters alone are
  not a message, a name or an id (an optional field is left out, not sent blank);
- language tags look like BCP 47 tags, e-mail addresses like addresses, phone
  numbers like phone numbers, links like absolute http(s) URLs (a ``javascript:``
  or ``data:`` link is no file a gateway keeps, and a console would make it clickable);
- instants are time-zone aware (a naive one is taken as UTC) and fall in
  [2000, 2100): a year 9999 or a negative epoch is a gateway's bug, not a contact;
- instants, days and times of day are ISO text (``Instant``, ``Day``, ``TimeOfDay``):
  pydantic's lax mode would read a number as a Unix time or as seconds, so
  ``"opens": 9`` would mean 00:00:09.

Every string has a length, part of its schema; ``one_line``, ``free_text``, ``web_url`` and
``secret`` bind it to the rules so that a too-long value is refused in characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_core import PydanticKnownError

from contracts.languages import LANGUAGES
from contracts.refusals import Reason, RefusedValue

_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
"""What ``str.splitlines`` and Python's e-mail headers break a line at."""
_NOT_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

LANGUAGE_TAG = r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8}){0,3}$"
EMAIL = (
    r"^[^\s@\"(),:;<>\[\]\\]{1,64}"
    r"@(?:[^\s@\"(),:;<>\[\]\\.]{1,63}\.)+[^\s@\"(),:;<>\[\]\\.0-9]{2,63}$"
)
PHONE = r"^\+?[0-9][0-9 ().\-]{1,30}[0-9]$"


def _refuse_control(value: str, pattern: re.Pattern[str], *, line: bool) -> None:
    """Refuse what ``pattern`` finds; a line break is named as one only in a one-line value
    (``line``), as free text holds line breaks and refuses only the control characters."""
    bad = pattern.search(value)
    if bad is None:
        return
    char = bad.group()
    if char == "\x00":
        raise RefusedValue(Reason("text_nul", "must not contain NUL characters"))
    if "\ud800" <= char <= "\udfff":
        text = "must be valid Unicode text (it holds a lone surrogate)"
        raise RefusedValue(Reason("text_lone_surrogate", text))
    code = f"U+{ord(char):04X}"
    if line and char in _LINE_BREAKS:
        text = f"must be one line: no line breaks ({code})"
        raise RefusedValue(Reason("text_line_break", text, {"char": code}))
    text = f"must not contain control characters ({code})"
    raise RefusedValue(Reason("text_control_character", text, {"char": code}))


_BREAKS = (re.compile(r"\n"), re.compile(r"[.!?…](?=\s)|[。！？；]"), re.compile(r"\s"))
"""Where a clipped text may end, best first: a line end, a sentence end, a space."""


def clipped(text: str, limit: int) -> str:
    """``text`` whole within ``limit`` characters; else cut at its last line end, else
    sentence end, else space in the last fifth before the limit (else at the limit) and
    ended with "…", so a reader sees more was said and never half a word ("reset it t")."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    low = len(head) * 4 // 5
    for pattern in _BREAKS:
        if ends := [m.end() for m in pattern.finditer(head, low)]:
            return head[: ends[-1]].rstrip() + "…"
    return head + "…"


def flattened(value: str) -> str:
    """``value`` on one line: each line break or other control character becomes a space.
    For what a mail's headers name (a sender, a subject): worth keeping, not refusing."""
    return _NOT_IN_LINE.sub(" ", value)


def visible(value: str) -> bool:
    """Whether ``value`` holds anything but whitespace, control and format characters."""
    return any(unicodedata.category(char) not in _INVISIBLE for char in value.strip())


def _text(value: str) -> str:
    _refuse_control(value, _CONTROL_IN_TEXT, line=False)
    if not visible(value):
        text = "must contain visible text, not only spaces or control characters"
        raise RefusedValue(Reason("text_not_visible", text))
    return value


def _line(value: str) -> str:
    _refuse_control(value, _CONTROL_IN_LINE, line=True)
    if not visible(value):
        text = "must contain visible characters, not only spaces"
        raise RefusedValue(Reason("text_not_visible", text))
    return value


def is_web_url(value: str) -> bool:
    """Whether ``value`` is an absolute http or https URL with a host, without spaces: the
    only links TripCare keeps, and the only ones a page may render as ``href``."""
    if any(char.isspace() for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # a broken IPv6 literal, say
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _web_url(value: str) -> str:
    if not is_web_url(value):
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


def as_utc(moment: datetime) -> datetime:
    """A time without an offset read as UTC (nx-27017 hands back naive ones); others as they are."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _instant(value: datetime) -> datetime:
    moment = as_utc(value)
    if not EARLIEST <= moment < LATEST:
        raise ValueError("must fall between 2000-01-01 and 2100-01-01")
    return moment


_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
_ISOLATES = frozenset("\u2066\u2067\u2068")
_POP_EMBEDDING, _POP_ISOLATE = "\u202c", "\u2069"
_OPENERS = _EMBEDDINGS | _ISOLATES


def _time_zone(value: str) -> str:
    """An IANA zone name the tz database knows (``Asia/Tokyo``); a typo is refused, not UTC."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown time zone: an IANA name such as Asia/Tokyo") from exc
    return value


def bidi_closed(value: object) -> object:
    """Text with every right-to-left (or left-to-right) override, embedding or isolate it
    opens closed at its end; anything else as it is.

    Pages and mails put what people wrote next to what we write: a name ending in U+202E
    (RIGHT-TO-LEFT OVERRIDE) turned the rest of the line around, the console's e-mail
    address and channel after it, or the acknowledgement's words and tracking link. Closed,
    the override reaches no further than the value itself. Used as the templates' finalize.
    """
    if not isinstance(value, str) or _OPENERS.isdisjoint(value):
        return value
    opened: list[str] = []
    for char in value:
        if char in _EMBEDDINGS:
            opened.append(_POP_EMBEDDING)
        elif char in _ISOLATES:
            opened.append(_POP_ISOLATE)
        elif char == _POP_EMBEDDING and opened and opened[-1] == _POP_EMBEDDING:
            opened.pop()
        elif char == _POP_ISOLATE and _POP_ISOLATE in opened:
            del opened[len(opened) - 1 - opened[::-1].index(_POP_ISOLATE) :]
    return value + "".join(reversed(opened))


TEXT_PATTERN = (
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F]"
    r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
)
LINE_PATTERN = (
    r"^[^\x00-\x1F\x7F-\x9F\u2028\u2029]*[^\s\x00-\x1F\x7F-\x9F\u2028\u2029]"
    r"[^\x00-\x1F\x7F-\x9F\u2028\u2029]*$"
)
WEB_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$"
"""The rules as JSON Schema patterns, for the published schemas (and schema-driven clients);
the validators above enforce them with messages that say what is wrong."""


@dataclass(frozen=True)
class _Bounded(GroupedMetadata):
    """A length, then rules, then the published pattern: pydantic checks a length given
    after a validator as a sequence's ("at most 64 items"), so the length comes first."""

    parts: tuple[object, ...]

    def __iter__(self) -> Iterator[object]:
        return iter(self.parts)


def _bounded(min_length: int | None, max_length: int, pattern: str, *rules: object) -> _Bounded:
    length = Field(min_length=min_length, max_length=max_length)
    return _Bounded((length, *rules, Field(json_schema_extra={"pattern": pattern})))


def free_text(*, max_length: int, min_length: int | None = None) -> _Bounded:
    """Free text (a message, a reason): ``Annotated[str, free_text(max_length=500)]``.
    Tabs and line breaks allowed, something visible required."""
    return _bounded(min_length, max_length, TEXT_PATTERN, AfterValidator(_text))


def fold_width(value: str) -> str:
    """NFKC: what an IME types full-width (``ＣＡ１５０１``, ``：``) in its ASCII form, so a
    booking reference is one value however it was typed."""
    return unicodedata.normalize("NFKC", value)


def one_line(*, max_length: int, min_length: int | None = None) -> _Bounded:
    """A one-line value (a name, an id): ``Annotated[str, one_line(max_length=64)]``.
    No control characters nor line breaks, something visible required."""
    return _bounded(min_length, max_length, LINE_PATTERN, AfterValidator(_line))


def web_url(*, max_length: int) -> _Bounded:
    """A link to a file elsewhere (a gateway's copy, a signed link): absolute http(s) only."""
    return _bounded(
        None, max_length, WEB_URL_PATTERN, AfterValidator(_line), AfterValidator(_web_url)
    )


def _secret_text(min_length: int | None, max_length: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            return value
        if min_length is not None and len(text) < min_length:
            raise PydanticKnownError("string_too_short", {"min_length": min_length})
        if len(text) > max_length:
            raise PydanticKnownError("string_too_long", {"max_length": max_length})
        _line(text)
        return value

    return check


def _no_edge_space(value: object) -> object:
    if isinstance(value, str) and value.strip() and value != value.strip():
        raise ValueError("a space at either end: paste the value without it")
    return value


ISSUED = BeforeValidator(_no_edge_space)
"""A value a platform or server issued (a token, an AppID, a login name), one that is
never spaced at either end: ``Annotated[str, one_line(max_length=128), ISSUED]``. Pasted
with the space after it, it would be stored and fail every signature check or login, so it
is refused when set; spaces alone are told they hold nothing (the text rules)."""


def secret(*, max_length: int, min_length: int | None = None) -> _Bounded:
    """A password or key: ``Annotated[SecretStr, secret(max_length=64)]``, one visible line
    like ``one_line`` (spaces inside are the owner's): it goes out in protocol lines (IMAP's
    ``LOGIN``) and signatures, where a line break is another command and a blank key none.
    pydantic counts a ``SecretStr`` as a sequence ("items"), so the text is checked before it
    is wrapped (or unwrapped, when code hands one in); the ``Field`` publishes the same
    bounds. Never bound a ``SecretStr`` with a bare ``Field(min_length=…)``."""
    return _Bounded(
        (
            BeforeValidator(_secret_text(min_length, max_length)),
            Field(min_length=min_length, max_length=max_length),
            Field(json_schema_extra={"pattern": LINE_PATTERN}),
        )
    )


def _shaped(pattern: str, words: str) -> Callable[[str], str]:
    """A check of ``pattern`` whose refusal says ``words``: pydantic's own ("String should
    match pattern '^[^\\s@…'") hands the caller a regular expression to decode."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(words)
        return value

    return check


LanguageTag = Annotated[
    str,
    Field(max_length=35),
    AfterValidator(_shaped(LANGUAGE_TAG, "not a language tag: such as zh-Hans, en or ja-JP")),
    Field(json_schema_extra={"pattern": LANGUAGE_TAG}),
]
"""zh-Hans, en, ja-JP…: a BCP 47 tag (or its underscore spelling)."""


def _language_key(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"{value!r} is not a language TripCare speaks: {', '.join(LANGUAGES)}")
    return value


LanguageKey = Annotated[
    str, AfterValidator(_language_key), Field(json_schema_extra={"enum": list(LANGUAGES)})
]
"""One of ``LANGUAGES`` as spelt there (``zh-Hans``, not ``zh-CN`` nor ``zh``)."""
MessagesByLanguage = Annotated[
    dict[LanguageKey, Annotated[str, free_text(min_length=1, max_length=5_000)]],
    Field(
        max_length=len(LANGUAGES),
        examples=[{"zh-Hans": "已为您改签至CA1503。", "en": "You are rebooked on CA1503."}],
    ),
]
"""An agent's message written once per language TripCare speaks (``LANGUAGES``, as spelt
there: a key ``fr`` or ``zh`` is refused naming it), each bounded as a single message."""
Email = Annotated[
    str,
    Field(max_length=254),
    AfterValidator(_shaped(EMAIL, "not an e-mail address: such as name@example.com")),
    Field(json_schema_extra={"pattern": EMAIL}),
]
TimeZoneName = Annotated[
    str,
    Field(max_length=64, examples=["Asia/Tokyo"]),
    AfterValidator(_time_zone),
    Field(json_schema_extra={"pattern": r"^[A-Za-z0-9_+/-]+$"}),
]
"""An IANA time zone (``Asia/Tokyo``, ``Europe/Berlin``, ``UTC``, ``Etc/GMT+8``); the published
pattern is the names' alphabet, the validator asks the tz database."""
Phone = Annotated[
    str,
    Field(min_length=3, max_length=32),
    AfterValidator(
        _shaped(PHONE, "not a phone number: digits, spaces, dashes, such as +86 138 0013 8000")
    ),
    Field(json_schema_extra={"pattern": PHONE}),
]


class WrittenAsText(BeforeValidator):
    """Refuses a JSON number where a date or time is expected, as the wrong type."""

    def __init__(self, error: Literal["datetime_type", "date_type", "time_type"]) -> None:
        def check(value: object) -> object:
            if isinstance(value, int | float):
                raise PydanticKnownError(error)
            return value

        super().__init__(check)


Instant = Annotated[datetime, WrittenAsText("datetime_type"), AfterValidator(_instant)]
"""A point in time in [2000, 2100), time-zone aware (naive means UTC)."""
Day = Annotated[date, WrittenAsText("date_type")]
"""A calendar date, ``2026-12-24``."""
TimeOfDay = Annotated[time, WrittenAsText("time_type")]
"""A local time of day, ``09:00``."""
