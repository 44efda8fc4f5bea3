"""A partner's ``event_id`` names one event. A partner that reused an id for a different
event (another kind, flight, date or details) was answered 200 ``duplicate`` with the first
event's kind, and the second event was silently lost. Now that is a 409 naming the id, and
nothing is written or published; the same event again (re-signed, its details reordered or
typed differently, a ``reported_at`` re-stamped) stays an idempotent 200 duplicate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from runtime.webhook_signature import HEADER
from services.routing.api import suppliers
from services.routing.care.store import NONCES, SUPPLIER_REPORTS
from tests.unit.test_supplier_care import Care, body, signed
from tests.unit.test_supplier_edges import care_desk


@pytest.fixture
async def desk() -> AsyncIterator[tuple[Care, httpx.AsyncClient]]:
    care = Care()
    async with care_desk(care, suppliers.router) as http:
        yield care, http


async def post(care: Care, http: httpx.AsyncClient, **event: Any) -> httpx.Response:
    """One event signed now; the clock then moves on, so the next one is signed anew."""
    raw = body(**event)
    headers = {HEADER: signed(raw, at=int(care.clock.now().timestamp()))}
    care.clock.advance(timedelta(seconds=7))
    return await http.post(
        "/v1/suppliers/ca/events",
        content=raw,
        headers={**headers, "content-type": "application/json"},
    )


@pytest.mark.parametrize(
    "other",
    [
        {"kind": "flight_delayed", "details": {"delay_minutes": 90}},
        {"reference": "CA1502"},
        {"service_date": "2026-11-27"},
        {"details": {"reason": "strike"}},
        {"details": {"reason": "weather", "gate": "C12"}},
    ],
)
async def test_an_id_reused_for_another_event_is_a_conflict_and_nothing_is_written(
    desk: tuple[Care, httpx.AsyncClient], other: dict[str, Any]
) -> None:
    care, http = desk
    assert (await post(care, http)).status_code == 202
    nonces = len(care.db[NONCES].docs)

    answer = await post(care, http, **other)

    assert answer.status_code == 409, answer.text
    assert "ca-ev-1" in answer.json()["detail"]
    assert "already used for another event" in answer.json()["detail"]
    assert len(care.db[SUPPLIER_REPORTS].docs) == 1
    assert len(care.db[NONCES].docs) == nonces
    assert len(care.published("supplier.status")) == 1


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"kind": "flight_cancelled"},
        {"reference": "ca 1501"},
        {"reported_at": "2026-11-25T01:00:00Z"},
    ],
)
async def test_the_same_event_again_is_a_duplicate(
    desk: tuple[Care, httpx.AsyncClient], same: dict[str, Any]
) -> None:
    care, http = desk
    first = await post(care, http, details={"reason": "weather", "delay_minutes": 90})
    assert first.status_code == 202

    again = await post(
        care, http, **{"details": {"delay_minutes": "90", "reason": "weather"}, **same}
    )

    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate"), again.text
    assert len(care.published("supplier.status")) == 1
