"""A repeat contact: the same traveller, or a shared booking, again within 72 hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

REPEAT_WINDOW = timedelta(hours=72)


def repeat_flags(
    contacts: Sequence[tuple[datetime, str, Sequence[str]]], window: timedelta = REPEAT_WINDOW
) -> list[bool]:
    """For each (time, traveller, booking references) in time order: a repeat contact?

    A contact repeats one by the same traveller, or about a shared booking,
    within ``window`` before it — whatever the channel or ticket.
    """
    last_by_key: dict[str, datetime] = {}
    flags: list[bool] = []
    for at, traveller, references in contacts:
        keys = [f"t:{traveller}", *(f"r:{r}" for r in references)]
        flags.append(any(k in last_by_key and at - last_by_key[k] <= window for k in keys))
        for key in keys:
            last_by_key[key] = at
    return flags
