"""The managers' window (metrics and reports): odd but valid times are a 422 or UTC, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from services.feedback.api.filters import From, To, window

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def test_by_default_the_last_30_days_up_to_now() -> None:
    start, end = window(None, None, NOW)
    assert (end - start, end) == (timedelta(days=30), NOW + timedelta(seconds=1))


def test_a_time_without_an_offset_is_utc_beside_one_with_it() -> None:
    start, end = window(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2), NOW)
    assert end == datetime(2026, 12, 2, tzinfo=UTC)
    assert start < end


def test_a_date_or_time_without_an_offset_is_read_in_the_tenants_business_zone() -> None:
    """A Shanghai manager's ``from=2026-12-01&to=2026-12-02`` is their 1 December, from
    midnight in Shanghai (16:00 UTC the day before); a time with an offset stays itself."""
    shanghai = ZoneInfo("Asia/Shanghai")
    start, end = window(datetime(2026, 12, 1), datetime(2026, 12, 2), NOW, shanghai)
    assert (start, end) == (
        datetime(2026, 11, 30, 16, tzinfo=UTC),
        datetime(2026, 12, 1, 16, tzinfo=UTC),
    )
    start, _ = window(datetime(2026, 12, 1, tzinfo=UTC), None, NOW, shanghai)
    assert start == datetime(2026, 12, 1, tzinfo=UTC)


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


@pytest.mark.parametrize("value", ["1700000000", "1700000000.5", "20261201", "-5"])
async def test_a_number_is_not_a_date_of_the_window(value: str) -> None:
    """Epoch seconds parse as a date in 2023 (or 1970) and were refused as "at most 400
    days at once": the reason is that a number is not a date, as for any other bad date."""
    app = FastAPI()

    @app.get("/window")
    async def read(start: From = None, end: To = None) -> str:
        return "ok"

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as http:
        for name in ("from", "to"):
            answer = await http.get("/window", params={name: value})
            assert answer.status_code == 422, answer.text
            (problem,) = answer.json()["detail"]
            assert problem["loc"] == ["query", name]
            assert problem["msg"].startswith("Input should be a valid datetime or date, not")
        dated = await http.get("/window", params={"from": "2026-12-01", "to": "2026-12-02"})
        assert dated.status_code == 200
