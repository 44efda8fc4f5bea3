"""A zone a traveller's clock offset gives (a mail's ``Date`` +0100 is ``Etc/GMT-1``) does
not replace the named zone they stated when it reads the same clock now: Europe/Berlin
knows the change to summer time, a fixed offset does not. A different offset (they flew
on) still replaces it."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.events import Traveller
from services.intake.domain.identity import with_own_zone

WINTER = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def traveller(zone: str | None) -> Traveller:
    return Traveller(id="t-1", time_zone=zone)


def test_an_offset_that_reads_the_stated_zones_clock_keeps_the_stated_zone() -> None:
    kept = with_own_zone(traveller("Europe/Berlin"), traveller("Etc/GMT-1"), WINTER)

    assert kept.time_zone == "Europe/Berlin"


def test_another_offset_replaces_it() -> None:
    moved = with_own_zone(traveller("Europe/Berlin"), traveller("Etc/GMT-9"), WINTER)

    assert moved.time_zone == "Etc/GMT-9"


def test_a_named_zone_replaces_an_offset_and_no_zone_keeps_what_was_known() -> None:
    assert with_own_zone(traveller("Etc/GMT-1"), traveller("Europe/Berlin"), WINTER).time_zone == (
        "Europe/Berlin"
    )
    assert with_own_zone(traveller("Asia/Tokyo"), traveller(None), WINTER).time_zone == (
        "Asia/Tokyo"
    )
