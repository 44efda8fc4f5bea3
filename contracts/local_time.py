"""Times a traveller reads: in their own time zone, else the tenant's business time zone,
else UTC — always with the offset, in their language. Shared by notify (deadlines in
notices) and intake (the tracking page), so a traveller reads one clock everywhere.

The rule (``zoned``): the reader's own IANA zone when known (``Traveller.time_zone``),
else the tenant's business zone (the zone of its SLA calendar for the ticket's priority,
which routing carries as ``time_zone`` on ``ticket.routed`` and the SLA events), else UTC.
A zone is never guessed from a phone's region or the language; a writer's clock offset (a
mail's ``Date``, a chat's ``sent_at``) is their zone when they name none (``offset_zone``).

The format (``local_text``): ``26 Nov 2026, 14:30 (UTC+09:00)`` in English,
``2026年11月26日 14:30（UTC+09:00）`` in Japanese and Chinese; ``(UTC)`` for UTC itself.
Pure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.text import as_utc

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


def local_date(day: date, language: str) -> str:
    """``26 Nov 2026``; ``2026年11月26日`` in Japanese and Chinese."""
    if language in HAN_DATES:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def local_span(first: date, last: date | None, language: str) -> str:
    """A span of nights as the language writes it, each date as ``local_date`` does: ``the
    nights of 26 Nov 2026 to 28 Nov 2026``, ``2026年11月26日至2026年11月28日共3晚``,
    ``2026年11月26日から2026年11月28日までの3泊``; one night (``last`` None or ``first``) is
    ``local_date`` alone."""
    if last is None or last <= first:
        return local_date(first, language)
    count = (last - first).days + 1
    start, end = local_date(first, language), local_date(last, language)
    if language == "ja":
        return f"{start}から{end}までの{count}泊"
    if language in HAN_DATES:
        return f"{start}至{end}共{count}晚"
    return f"the nights of {start} to {end}"


def local_text(moment: datetime, language: str) -> str:
    """``26 Nov 2026, 14:30 (UTC+08:00)``; ``2026年11月26日 14:30（UTC+08:00）`` in Japanese
    and Chinese. ``moment`` keeps the offset it is to be shown in."""
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if language in HAN_DATES:
        return f"{local_date(moment, language)} {clock}（{zone_of(moment)}）"
    return f"{local_date(moment, language)}, {clock} ({zone_of(moment)})"


def offset_zone(offset: timedelta | None) -> str | None:
    """The tz database's fixed zone of a writer's clock offset (``+08:00`` is ``Etc/GMT-8``:
    its signs are POSIX's, reversed), the zone their times are told in when they named none.
    None for no offset or zero (a server's clock as often as London's: the business zone
    serves better), for part of an hour (``+05:30`` has no fixed zone, and naming a city
    would be a guess) and beyond the database's ``Etc`` zones (-12 to +14)."""
    seconds = int(offset.total_seconds()) if offset else 0
    if not seconds or seconds % 3600 or not -12 <= seconds // 3600 <= 14:
        return None
    return f"Etc/GMT{-(seconds // 3600):+d}"


def same_clock(named: str, fixed: str, at: datetime) -> bool:
    """Whether the fixed-offset zone ``fixed`` (``offset_zone``'s ``Etc/GMT-1``) reads the
    same clock as the known zone ``named`` at ``at``: a writer's offset that only restates
    their named zone, which (unlike the offset) knows its summer time."""
    if not fixed.startswith("Etc/") or zone_name(named) != named or zone_name(fixed) != fixed:
        return False
    return zoned(at, named).utcoffset() == zoned(at, fixed).utcoffset()


def zone_name(*zones: str | None) -> str:
    """The first of ``zones`` the tz database knows (a stored name it no longer knows is
    passed over), else ``UTC``."""
    for name in zones:
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return "UTC"


def zoned(moment: datetime, *zones: str | None) -> datetime:
    """``moment`` in the first of ``zones`` the tz database knows, else in UTC (a naive
    ``moment``, as the store hands some back, is read as UTC)."""
    name = zone_name(*zones)
    return as_utc(moment).astimezone(UTC if name == "UTC" else ZoneInfo(name))


def reader_time(
    moment: datetime, language: str, own_zone: str | None, business_zone: str | None
) -> str:
    """``moment`` as a traveller reads it: in ``own_zone``, else ``business_zone``, else UTC,
    in ``language`` (``local_text``)."""
    return local_text(zoned(moment, own_zone, business_zone), language)
