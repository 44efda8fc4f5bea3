"""Instants in a query string (``?from=``, ``?since=``): ISO text, never a number.

Pydantic reads epoch seconds as a time (``1700000000`` is 2023-11-14, ``-1`` is 1969), which
a caller who meant a date would only notice in the numbers. And an offset pasted into a URL
as the docs write it (``from=2026-12-01T09:00:00+09:00``) reaches the service with its ``+``
decoded as a space (``application/x-www-form-urlencoded``): a space before an offset after a
time of day can be nothing else, so it is read as the ``+`` it was.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

NUMBER = re.compile(r"\s*[-+]?\d+(?:\.\d*)?\s*")
_PLUS_AS_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}:?\d{2})")


def _as_written(value: object) -> object:
    """Refuse a number; give back the ``+`` of an offset that arrived as a space."""
    if not isinstance(value, str):
        return value
    if NUMBER.fullmatch(value):
        raise PydanticCustomError(
            "datetime_from_date_parsing",
            "Input should be a valid datetime or date, not a number: "
            "2026-12-01 or 2026-12-01T09:00:00+09:00",
        )
    if (restored := _PLUS_AS_SPACE.fullmatch(value, pos=10)) is not None:
        return f"{value[:10]}{restored[1]}+{restored[2]}"
    return value


QueryInstant = Annotated[datetime, BeforeValidator(_as_written)]
"""A date or an ISO time (an offset, else UTC) in a query string."""
