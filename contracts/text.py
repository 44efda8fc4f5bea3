"""Clean, bounded values for inbound models: what gateways, partners and people may send us.

The rules, refused with a message naming the field (a 422 at the HTTP edge, a dead
letter on the bus), so nothing of the kind is ever stored:

- no NUL and no other control characters; free text (``Text``) may hold tabs and
  line breaks, one-line values (``Line``) may not;
- no lone surrogates: they cannot be encoded as UTF-8, so no store could keep them;
- text holds something visible: whitespace, control and format characters alone are
  not a message, a name or an id (an optional field is left out, not sent blank);
- language tags look like BCP 47 tags, e-mail addresses like addresses, phone
  numbers like phone numbers, links like absolute http(s) URLs (a ``javascript:``
  or ``data:`` link is no file a gateway keeps, and a console would make it clickable);
- instants are time-zone aware (a naive one is taken as UTC) and fall in
  [2000, 2100): a year 9999 or a negative epoch is a gateway's bug, not a contact.

Lengths stay with each field (``Field(max_length=…)``): they are part of the schema.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

LANGUAGE_TAG = r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8}){0,3}$"
EMAIL = (
    r"^[^\s@\"(),:;<>\[\]\\]{1,64}"
    r"@(?:[^\s@\"(),:;<>\[\]\\.]{1,63}\.)+[^\s@\"(),:;<>\[\]\\.0-9]{2,63}$"
)
PHONE = r"^\+?[0-9][0-9 ().\-]{1,30}[0-9]$"


def _refuse_control(value: str, pattern: re.Pattern[str]) -> None:
    bad = pattern.search(value)
    if bad is None:
        return
    char = bad.group()
    if char == "\x00":
        raise ValueError("must not contain NUL characters")
    if "\ud800" <= char <= "\udfff":
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
    raise ValueError(f"must not contain control characters (U+{ord(char):04X})")


def visible(value: str) -> bool:
    """Whether ``value`` holds anything but whitespace, control and format characters."""
    return any(unicodedata.category(char) not in _INVISIBLE for char in value.strip())


def _text(value: str) -> str:
    _refuse_control(value, _CONTROL_IN_TEXT)
    if not visible(value):
        raise ValueError("must contain visible text, not only spaces or control characters")
    return value


def _line(value: str) -> str:
    _refuse_control(value, _CONTROL_IN_LINE)
    if not visible(value):
        raise ValueError("must contain visible characters, not only spaces")
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


TEXT_PATTERN = (
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F]"
    r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
)
LINE_PATTERN = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
WEB_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$"
"""The rules as JSON Schema patterns, for the published schemas (and schema-driven clients);
the validators above enforce them with messages that say what is wrong."""

TEXT_RULE, TEXT_SCHEMA = AfterValidator(_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})
LINE_RULE, LINE_SCHEMA = AfterValidator(_line), Field(json_schema_extra={"pattern": LINE_PATTERN})
"""``Text`` and ``Line`` in parts: an optional field's length goes before the rule
(``Annotated[str, Field(max_length=64), LINE_RULE, LINE_SCHEMA] | None``), or pydantic
checks it after the rule and calls characters "items"."""
Text = Annotated[str, TEXT_RULE, TEXT_SCHEMA]
"""Free text (a message, a reason): tabs and line breaks allowed, something visible required."""
Line = Annotated[str, LINE_RULE, LINE_SCHEMA]
"""A one-line value (a name, an id): no control characters, something visible required."""
WebUrl = Annotated[
    str,
    AfterValidator(_line),
    AfterValidator(_web_url),
    Field(json_schema_extra={"pattern": WEB_URL_PATTERN}),
]
"""A link to a file elsewhere (a gateway's copy, a signed link): absolute http(s) only."""
LanguageTag = Annotated[str, Field(max_length=35, pattern=LANGUAGE_TAG)]
"""zh-Hans, en, ja-JP…: a BCP 47 tag (or its underscore spelling)."""
Email = Annotated[str, Field(max_length=254, pattern=EMAIL)]
Phone = Annotated[str, Field(min_length=3, max_length=32, pattern=PHONE)]
Instant = Annotated[datetime, AfterValidator(_instant)]
"""A point in time in [2000, 2100), time-zone aware (naive means UTC)."""
