"""Times a traveller reads in a notice: in the place's own offset and their language.

A deadline (``by when to expect an answer``, an SLA deadline) is shown in the reader's own
time zone when it is known (``Traveller.time_zone``, a staff entry's), else in the
tenant's business time zone (its SLA calendar's, which routing carries on the event),
else in UTC — always with its offset, so a traveller abroad is never misled. The rule and
the format are shared with intake's tracking page (``contracts.local_time``).

A partner's ``new_departure`` is shown in the offset it was sent with (the airport's
local time, as on a boarding pass); one sent without an offset is read as UTC, as routing
reads it, and shown in the segment's local offset when the booking gave one (in UTC when
that offset would take it off the calendar: a partner's ``0001-01-01T00:00:00`` "no time"
sentinel). Never the raw ISO string, unless it is not a time at all.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone

from contracts.events import Traveller
from contracts.local_time import local_text, reader_time
from services.notify.domain.notice import language_of


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
            with suppress(OverflowError):  # a sentinel (0001-01-01) off the calendar: UTC
                moment = moment.astimezone(timezone(timedelta(minutes=local_offset_min)))
    return local_text(moment, language)


def deadline_text(moment: datetime, reader: Traveller, business_zone: str | None) -> str:
    """A deadline as ``reader`` reads it: their zone, else the business's, else UTC, in their
    language (``local_text``)."""
    return reader_time(moment, language_of(reader), reader.time_zone, business_zone)
