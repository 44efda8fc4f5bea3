"""The managers' window (metrics and reports): odd but valid times are a 422 or UTC, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.exceptions import RequestValidationError

from services.feedback.api.filters import window

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def test_by_default_the_last_30_days_up_to_now() -> None:
    start, end = window(None, None, NOW)
    assert (end - start, end) == (timedelta(days=30), NOW + timedelta(seconds=1))


def test_a_time_without_an_offset_is_utc_beside_one_with_it() -> None:
    start, end = window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2), NOW)
    assert end == datetime(2026, 12, 2, tzinfo=UTC)
    assert start < end


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC)),
        (datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_an_impossible_window_is_refused_as_a_bad_query(
    start: datetime | None, end: datetime
) -> None:
    with pytest.raises(RequestValidationError) as refused:
        window(start, end, NOW)
    assert refused.value.errors()[0]["loc"][0] == "query"
