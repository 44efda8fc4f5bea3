"""``DELETE /v1/kb/articles/{id}`` of a global article says how to hide it.

A tenant's manager who wanted the shipped ``policy-limits`` article gone sent DELETE and got
``404 not found: policy-limits`` for an article ``GET /v1/kb/articles`` lists: it is global,
so there is nothing of the tenant's to delete, and the way (``PUT`` with ``active: false``)
was not said. It is a 409 naming it now, as a default queue's DELETE is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runtime.auth import Principal, Role, issue_token
from runtime.clock import FakeClock
from runtime.signing import Signer
from runtime.store import Repository
from runtime.web import install_error_handlers
from services.routing.api import articles
from services.routing.kb.articles import GLOBAL_TENANT, Article, Translation
from tests.factories import T0
from tests.fakes import FakeDatabase, RecordingOutbox

SIGNER = Signer("kb-article-delete-test-secret-0123456789")
MANAGER = Principal(id="manager-1", role=Role.MANAGER, tenants=["acme"])
HEADERS = {"Authorization": f"Bearer {issue_token(SIGNER, MANAGER, timedelta(hours=1))}"}
LIMITS = Article(
    id=Article.key(GLOBAL_TENANT, "policy-limits"),
    tenant_id=GLOBAL_TENANT,
    article_id="policy-limits",
    categories=["policy_question"],
    translations={"en": Translation(title="Limits", questions=["hotel cap?"], answer="See.")},
)


class KnowledgeBase:
    """What the delete endpoint asks of the knowledge base: its global articles, its memo."""

    def __init__(self) -> None:
        self.seed = [LIMITS]
        self.memo = SimpleNamespace(forget=lambda tenant: None)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    repo: Repository[Any] = Repository(
        FakeDatabase(),  # type: ignore[arg-type]
        "kb_articles",
        Article,
        RecordingOutbox(),
        FakeClock(T0),
    )
    own = {"id": Article.key("acme", "own"), "tenant_id": "acme", "article_id": "own"}
    await repo.add(LIMITS.model_copy(update=own))
    app = FastAPI()
    app.state.runtime = SimpleNamespace(staff_signer=SIGNER, clock=FakeClock(T0))
    app.state.kb = KnowledgeBase()
    app.state.articles = repo
    app.include_router(articles.router)
    install_error_handlers(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://routing", headers=HEADERS
    ) as client:
        yield client


async def test_a_global_article_is_not_deleted_and_the_answer_says_how_to_hide_it(
    http: httpx.AsyncClient,
) -> None:
    refused = await http.delete("/v1/kb/articles/policy-limits")

    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        "policy-limits is a global article: it cannot be deleted, only hidden for your "
        'tenant (PUT with "active": false) or replaced (PUT)'
    )


async def test_the_tenants_own_article_is_deleted_and_an_unknown_one_is_404(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.delete("/v1/kb/articles/own")).status_code == 204
    gone = await http.delete("/v1/kb/articles/own")
    assert gone.status_code == 404
    assert gone.json()["detail"] == "own"
