"""The knowledge base's articles: the global ones, the tenant's own, and search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from contracts.languages import LANGUAGES
from contracts.taxonomy import CATEGORIES, Category
from contracts.text import visible
from runtime.auth import ManagerScope, StaffScope
from runtime.errors import StrictJsonRoute, invalid
from runtime.store import NotFound
from services.routing.api.deps import ArticlesDep, ClockDep, KnowledgeBaseDep
from services.routing.api.models import CREATED, NAME, Language
from services.routing.api.writes import delete, put
from services.routing.kb.articles import Article, Translation

router = APIRouter(prefix="/v1", tags=["knowledge base"], route_class=StrictJsonRoute)


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[Category] = Field(min_length=1, max_length=len(CATEGORIES))
    translations: dict[Language, Translation] = Field(min_length=1, max_length=len(LANGUAGES))
    active: StrictBool = Field(default=True, description="False hides it (a global one too).")

    @field_validator("translations")
    @classmethod
    def some_questions(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        if not any(t.questions for t in value.values()):
            raise ValueError("give at least one sample question: they are what is matched")
        return value


class ArticleView(BaseModel):
    article_id: str
    categories: list[str]
    translations: dict[str, Translation]
    active: bool
    source: Literal["tenant", "global"]
    updated_by: str | None
    updated_at: datetime | None


class SearchHit(BaseModel):
    article_id: str
    title: str
    score: float


def article_view(article: Article) -> ArticleView:
    return ArticleView(
        article_id=article.article_id,
        categories=article.categories,
        translations=article.translations,
        active=article.active,
        source="tenant" if article.tenant_id != "*" else "global",
        updated_by=article.updated_by,
        updated_at=article.updated_at,
    )


@router.get("/kb/articles")
async def list_articles(scope: StaffScope, kb: KnowledgeBaseDep) -> list[ArticleView]:
    """Global articles and the tenant's own (which replace global ones of the same id)."""
    found = await kb.articles_for(scope.tenant, include_inactive=True)
    return [article_view(a) for a in sorted(found, key=lambda a: a.article_id)]


@router.get("/kb/articles/{article_id}")
async def get_article(article_id: str, scope: StaffScope, kb: KnowledgeBaseDep) -> ArticleView:
    found = await kb.articles_for(scope.tenant, include_inactive=True)
    article = next((a for a in found if a.article_id == article_id), None)
    if article is None:
        raise NotFound(article_id)
    return article_view(article)


@router.put("/kb/articles/{article_id}", responses=CREATED)
async def put_article(
    article_id: Annotated[str, Path(pattern=NAME)],
    body: ArticleIn,
    scope: ManagerScope,
    response: Response,
    kb: KnowledgeBaseDep,
    articles: ArticlesDep,
    clock: ClockDep,
) -> ArticleView:
    """Write the tenant's article (a global one's id replaces it for this tenant).

    It is embedded once, here; the bot uses it from the next contact on.
    """
    key = Article.key(scope.tenant, article_id)
    draft = Article(
        id=key,
        tenant_id=scope.tenant,
        article_id=article_id,
        categories=list(body.categories),
        translations=dict(body.translations),
        active=body.active,
    )
    await kb.embed(draft)

    def change(article: Article) -> None:
        article.categories = draft.categories
        article.translations = draft.translations
        article.active = draft.active
        article.vectors = draft.vectors
        article.near_miss_vectors = draft.near_miss_vectors
        article.embedding_model = draft.embedding_model
        article.updated_by = scope.actor
        article.updated_at = clock.now()

    article, new = await put(articles, scope.tenant, key, lambda: draft, change)
    kb.memo.forget(scope.tenant)
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return article_view(article)


@router.delete(
    "/kb/articles/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "A global article the tenant has not replaced."}},
)
async def delete_article(
    article_id: str, scope: ManagerScope, kb: KnowledgeBaseDep, articles: ArticlesDep
) -> None:
    """Delete the tenant's article (a global one of that id shows again). A global article
    itself is everyone's: the answer says how to hide or replace it, not 404 for an article
    the list shows."""
    try:
        await delete(
            articles, scope.tenant, Article.key(scope.tenant, article_id), named=article_id
        )
    except NotFound:
        if any(a.article_id == article_id for a in kb.seed):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"{article_id} is a global article: it cannot be deleted, only hidden for your "
                'tenant (PUT with "active": false) or replaced (PUT)',
            ) from None
        raise
    kb.memo.forget(scope.tenant)


@router.get("/kb/search")
async def search(
    scope: StaffScope,
    q: Annotated[str, Query(min_length=1, max_length=2_000)],
    kb: KnowledgeBaseDep,
    language: Language = "en",
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[SearchHit]:
    """Articles closest to a question, any category: for agents looking for an answer."""
    if not visible(q):  # embedded, a blank question came back close to every article
        raise invalid("must contain visible text, not only spaces", ("query", "q"))
    hits = await kb.search(scope.tenant, q, limit)
    return [
        SearchHit(
            article_id=h.article_id,
            title=(h.answers.get(language) or next(iter(h.answers.values()), ("", "")))[0],
            score=round(h.score, 4),
        )
        for h in hits
    ]
