"""Routing's write bodies take JSON's own types: nothing is coerced.

FastAPI validates a body's parsed JSON in pydantic's lax mode, which turned ``true``
into a threshold of 1.0, ``"0.7"`` into 0.7 and ``"yes"`` into a VIP. Every boolean
and number of a body routing writes is strict (``StrictBool``, ``StrictInt``,
``StrictFloat``; a whole number is still a valid float), so the wrong type is a 422
naming the field, like an out-of-range value, and nothing is written;
``test_strict_types`` keeps every service's bodies so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.routing.main import bootstrap
from tests.unit.test_strict_types import admin_of

TARGETS = {
    "first_response_s": 900,
    "next_response_s": 1800,
    "resolution_s": 14_400,
    "supplier_s": 7200,
}
HOURS = {"opens": 9, "closes": "18:00"}
"""Nine o'clock as a number, which lax mode reads as 00:00:09."""
ARTICLE = {
    "categories": ["baggage"],
    "translations": {"en": {"title": "Lost bag", "questions": ["bag lost"], "answer": "Ask."}},
}


@pytest.fixture(scope="module")
def app() -> FastAPI:
    """Routing as bootstrap builds it: a refused body never reaches a handler or a store."""
    return bootstrap()


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_of(app) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/policy", {"triage_threshold": True}, ["triage_threshold"]),
        ("/v1/policy", {"triage_threshold": "0.7"}, ["triage_threshold"]),
        ("/v1/policy", {"vip": "yes"}, ["vip"]),
        ("/v1/policy", {"bot_enabled": 0}, ["bot_enabled"]),
        ("/v1/agents/a-1", {"languages": ["en"], "capacity": "5"}, ["capacity"]),
        ("/v1/agents/a-1", {"languages": ["en"], "expert": "true"}, ["expert"]),
        ("/v1/agents/a-1", {"languages": ["en"], "senior": 1}, ["senior"]),
        ("/v1/queues/q-1", {"name": "Desk", "expert_only": "false"}, ["expert_only"]),
        ("/v1/kb/articles/bag", {**ARTICLE, "active": "no"}, ["active"]),
        (
            "/v1/sla-policies",
            {"priorities": {"high": {"targets": {**TARGETS, "resolution_s": "14400"}}}},
            ["priorities", "high", "targets", "resolution_s"],
        ),
        (
            "/v1/sla-policies",
            {"priorities": {"high": {"targets": TARGETS, "warn_share": "0.75"}}},
            ["priorities", "high", "warn_share"],
        ),
        (
            "/v1/sla-policies",
            {
                "priorities": {
                    "high": {
                        "targets": TARGETS,
                        "calendar": {"business_hours": {"days": [1, True]}},
                    }
                }
            },
            ["priorities", "high", "calendar", "business_hours", "days", 1],
        ),
        (
            "/v1/sla-policies",
            {"priorities": {"high": {"targets": TARGETS, "calendar": {"business_hours": HOURS}}}},
            ["priorities", "high", "calendar", "business_hours", "opens"],
        ),
        (
            "/v1/sla-policies",
            {
                "priorities": {
                    "high": {
                        "targets": TARGETS,
                        "calendar": {"business_hours": {"holidays": [20_000]}},
                    }
                }
            },
            ["priorities", "high", "calendar", "business_hours", "holidays", 0],
        ),
    ],
)
async def test_a_value_of_the_wrong_json_type_is_a_422_naming_the_field(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    answer = await http.put(path, json=body)

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["body", *loc]
    assert item["msg"].startswith("Input should be a valid")
