"""Times in a query string, as managers paste them from the docs.

docs/feedback.md shows ``from=2026-12-01T09:00:00+09:00``; pasted into a URL, its ``+`` is
read as a space, and the window was a 422 "unexpected extra characters". Routing's
``/v1/corrections?since=`` took epoch seconds (``since=-1`` was 1969) where feedback's
window refuses a number. Both read ``runtime.query_times.QueryInstant`` now.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from contracts.text import as_utc
from runtime.auth import Principal, Role, issue_token
from runtime.clock import SystemClock
from runtime.query_times import QueryInstant
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.routing.api import corrections
from services.routing.api.deps import get_store
from tests.unit.test_feedback_pages import SIGNER as FEEDBACK_SIGNER
from tests.unit.test_feedback_pages import Site, site  # noqa: F401

SIGNER = Signer("query-times-test-secret-0123456789")
NINE_JST = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
READ = TypeAdapter(QueryInstant)


def manager(signer: Signer) -> dict[str, str]:
    principal = Principal(id="mgr-1", role=Role.MANAGER, tenants=["acme"])
    return {"Authorization": f"Bearer {issue_token(signer, principal, timedelta(hours=1))}"}


@pytest.mark.parametrize(
    "written",
    [
        "2026-12-01T09:00:00+09:00",
        "2026-12-01T09:00:00 09:00",  # the same, its "+" decoded as a space
        "2026-12-01T09:00 09:00",
        "2026-12-01T09:00:00.000 0900",
        "2026-12-01T00:00:00Z",
        "2026-12-01T00:00:00",
    ],
)
def test_an_iso_time_is_read_with_its_offset_even_when_the_plus_became_a_space(
    written: str,
) -> None:
    assert as_utc(READ.validate_python(written)) == NINE_JST


@pytest.mark.parametrize(
    "written", ["1700000000", "-1", " 12.5 ", "today", "2026-12-01T09:00:00 25:00"]
)
def test_a_number_or_what_is_no_time_is_refused(written: str) -> None:
    with pytest.raises(ValidationError):
        READ.validate_python(written)


async def test_the_metrics_window_reads_an_offset_pasted_into_the_url(site: Site) -> None:  # noqa: F811
    answer = await site.http.get(
        "/v1/metrics?from=2026-12-01T09:00:00+09:00&to=2026-12-02T09:00:00+09:00",
        headers=manager(FEEDBACK_SIGNER),
    )

    assert answer.status_code == 200, answer.text
    window = [datetime.fromisoformat(answer.json()[end]) for end in ("from", "to")]
    assert window == [NINE_JST, NINE_JST + timedelta(days=1)]


class Corrections:
    """Routing's store as the export reads it: what ``since`` it was asked for."""

    def __init__(self) -> None:
        self.since: list[datetime | None] = []

    async def corrections(self, tenant_id: str | None, since: datetime | None = None) -> list[None]:
        self.since.append(since)
        return []


@pytest.fixture
async def routing() -> AsyncIterator[tuple[httpx.AsyncClient, Corrections]]:
    store = Corrections()
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=SystemClock())
    app.include_router(corrections.router)
    app.dependency_overrides[get_store] = lambda: store
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://routing", headers=manager(SIGNER)
    ) as http:
        yield http, store


@pytest.mark.parametrize("since", ["1700000000", "-1"])
async def test_the_corrections_export_refuses_epoch_seconds_as_feedback_does(
    routing: tuple[httpx.AsyncClient, Corrections], since: str
) -> None:
    http, store = routing

    answer = await http.get("/v1/corrections", params={"since": since})

    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", "since"]
    assert "not a number" in answer.json()["detail"][0]["msg"]
    assert store.since == []


async def test_the_corrections_export_reads_an_offset_pasted_into_the_url(
    routing: tuple[httpx.AsyncClient, Corrections],
) -> None:
    http, store = routing

    answer = await http.get("/v1/corrections?since=2026-12-01T09:00:00+09:00")

    assert answer.status_code == 200, answer.text
    assert store.since == [NINE_JST]
