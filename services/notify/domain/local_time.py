"""Times a traveller reads in a notice: in the place's own offset and their language.

A deadline (``by when to expect an answer``, an SLA deadline) is shown in the reader's own
time zone when it is known (``Traveller.time_zone``, a staff entry's), else in the
tenant's business time zone (its SLA calendar's, which routing carries on the event),
else in UTC — always with its offset, so a traveller abroad is never misled (``zoned``).

A partner's ``new_departure`` is shown in the offset it was sent with (the airport's
local time, as on a boarding pass); one sent without an offset is read as UTC, as routing
reads it, and shown in the segment's local offset when the booking gave one. Never the
raw ISO string, unless it is not a time at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.events import Traveller
from services.notify.domain.notice import language_of

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HAN_DATES = frozenset({"ja", "zh-Hans", "zh-Hant"})


def zone_of(moment: datetime) -> str:
    """``UTC+08:00``, ``UTC-05:30``, or ``UTC``."""
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("+", minutes) if minutes > 0 else ("-", -minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def local_text(moment: datetime, language: str) -> str:
    """``26 Nov 2026, 14:30 (UTC+08:00)``; ``2026年11月26日 14:30（UTC+08:00）`` in Japanese
    and Chinese. ``moment`` keeps the offset it is to be shown in."""
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if language in HAN_DATES:
        return f"{moment.year}年{moment.month}月{moment.day}日 {clock}（{zone_of(moment)}）"
    month = MONTHS_EN[moment.month - 1]
    return f"{moment.day} {month} {moment.year}, {clock} ({zone_of(moment)})"


def partner_time(value: str, language: str, local_offset_min: int | None = None) -> str:
    """A partner's time as the traveller reads it (module docstring); '' for none."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
        if local_offset_min is not None:
            moment = moment.astimezone(timezone(timedelta(minutes=local_offset_min)))
    return local_text(moment, language)


def zoned(moment: datetime, *zones: str | None) -> datetime:
    """``moment`` in the first of ``zones`` the tz database knows, else in UTC."""
    for name in zones:
        if name:
            try:
                return moment.astimezone(ZoneInfo(name))
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return moment.astimezone(UTC)


def deadline_text(moment: datetime, reader: Traveller, business_zone: str | None) -> str:
    """A deadline as ``reader`` reads it: their zone, else the business's, else UTC, in their
    language (``local_text``)."""
    return local_text(zoned(moment, reader.time_zone, business_zone), language_of(reader))
