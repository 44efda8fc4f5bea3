"""``GET /v1/kb/search`` for agents: a question with nothing in it is refused, not answered.

A blank ``q`` (``?q=%20``) was embedded as it was and answered five articles at score 0.85,
which an agent would take for a match.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.clock import SystemClock
from runtime.signing import Signer
from runtime.web import install_error_handlers
from services.routing.api import articles

SIGNER = Signer("kb-search-test-secret-0123456789")


class KnowledgeBase:
    """What the search endpoint asks of the knowledge base: the questions it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def search(self, tenant_id: str, question: str, limit: int) -> list[object]:
        self.asked.append(question)
        return []


@pytest.fixture
async def site() -> AsyncIterator[tuple[httpx.AsyncClient, KnowledgeBase]]:
    kb = KnowledgeBase()
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=SystemClock())
    app.state.kb = kb
    app.include_router(articles.router)
    install_error_handlers(app)
    agent = Principal(id="agent-7", role=Role.AGENT, tenants=["acme"])
    token = issue_token(SIGNER, agent, timedelta(hours=1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://routing",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        yield http, kb


@pytest.mark.parametrize("q", [" ", "\t\n ", "\u3000"])
async def test_a_blank_question_is_a_422_naming_q_and_searches_nothing(
    site: tuple[httpx.AsyncClient, KnowledgeBase], q: str
) -> None:
    http, kb = site

    answer = await http.get("/v1/kb/search", params={"q": q})

    assert answer.status_code == 422, answer.text
    [item] = answer.json()["detail"]
    assert item["loc"] == ["query", "q"]
    assert "visible" in item["msg"]
    assert kb.asked == []


async def test_a_question_is_searched(site: tuple[httpx.AsyncClient, KnowledgeBase]) -> None:
    http, kb = site

    answer = await http.get("/v1/kb/search", params={"q": "refund my ticket"})

    assert (answer.status_code, answer.json()) == (200, [])
    assert kb.asked == ["refund my ticket"]
