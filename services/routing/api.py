"""Routing's HTTP API: case files, agents, queues, the knowledge base, the tenant's policy
and the corrections agents made.

Reads need a staff token; managing agents, queues and articles needs a manager
(or admin); the tenant's routing policy (VIP status, the bot switch) an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.events import CategoryConfidence, EscalationLevel, Priority, SlaClock
from contracts.languages import LANGUAGES
from contracts.taxonomy import CATEGORIES, Category
from contracts.text import Line
from runtime.aggregate import Aggregate
from runtime.auth import RANK, AdminScope, ManagerScope, Role, StaffScope
from runtime.clock import Clock
from runtime.errors import StrictJsonRoute, invalid
from runtime.store import AlreadyExists, ConcurrencyError, NotFound, Repository
from services.routing.domain import (
    DEFAULT_TRIAGE_THRESHOLD,
    RESERVED_QUEUES,
    TRIAGE_QUEUE,
    Agent,
    AssignmentMode,
    BotAnswer,
    CaseStatus,
    Presence,
    RoutingCase,
    RoutingPolicy,
    TenantQueue,
)
from services.routing.handlers import NotClassified, Router
from services.routing.kb.articles import Article, KnowledgeBase, Translation
from services.routing.triage.corrections import training_rows

A = TypeVar("A", bound=Aggregate)
Language = Literal["zh-Hans", "zh-Hant", "en", "ja"]
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
WRITE_RETRIES = 10

# ------------------------------------------------------------------ views and bodies


class ClockView(BaseModel):
    """One SLA clock of the current run: its deadline (none while paused or stopped)."""

    model_config = ConfigDict(from_attributes=True)

    clock: SlaClock
    target_s: int
    started_at: datetime
    deadline: datetime | None
    paused: bool
    stopped_at: datetime | None
    met: bool | None
    warned: bool
    breached: bool


class CaseView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: CaseStatus
    priority: Priority
    queue: str | None
    assignee: str | None
    category: str | None = None
    category_confidence: float | None = None
    language: str | None = None
    language_confidence: float | None = None
    urgency: str | None = None
    urgency_confidence: float | None = None
    sentiment: str | None = None
    sentiment_confidence: float | None = None
    top_categories: list[CategoryConfidence] = Field(default_factory=list)
    needs_human_look: bool = Field(
        default=False, description="In the triage queue: the classifier was unsure of it."
    )
    rule: str | None
    reason: str | None
    bot: BotAnswer | None
    bot_decision: str | None
    repeat_contacts: int
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_met: bool | None
    resolution_met: bool | None
    escalation: EscalationLevel | None = None
    clocks: list[ClockView] = Field(default_factory=list, description="SLA clocks (docs/sla.md).")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line | None = Field(default=None, max_length=200)
    categories: list[Category] = Field(
        default_factory=list, max_length=len(CATEGORIES), description="Skills."
    )
    languages: list[Language] = Field(min_length=1, max_length=len(LANGUAGES))
    capacity: int = Field(default=5, ge=0, le=100, description="Open tickets at once.")
    expert: bool = Field(default=False, description="May take the expert and complaint queues.")
    senior: bool = Field(default=False, description="Takes first SLA escalations (docs/sla.md).")
    manager: str | None = Field(
        default=None,
        max_length=128,
        pattern=NAME,
        description="Their team lead, told when a ticket they hold breaches its SLA "
        "(default: the tenant's support manager).",
    )
    presence: Presence | None = Field(default=None, description="Unchanged when omitted.")


class AgentView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    agent_id: str
    name: str | None
    categories: list[str]
    languages: list[str]
    capacity: int
    expert: bool
    senior: bool
    manager: str | None
    presence: Presence
    load: int
    tickets: list[str]


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presence: Presence


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=200)
    categories: list[Category] = Field(
        default_factory=list, max_length=len(CATEGORIES), description="None: a catch-all desk."
    )
    expert_only: bool = False


class QueueView(BaseModel):
    id: str
    name: str
    categories: list[str]
    expert_only: bool
    source: Literal["tenant", "default"]


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[Category] = Field(min_length=1, max_length=len(CATEGORIES))
    translations: dict[Language, Translation] = Field(min_length=1, max_length=len(LANGUAGES))
    active: bool = Field(default=True, description="False hides it (a global one too).")

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


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vip: bool = False
    vip_travellers: list[Annotated[Line, Field(max_length=260)]] = Field(
        default_factory=list, max_length=10_000
    )
    account_manager: str | None = Field(default=None, max_length=128, pattern=NAME)
    support_manager: str | None = Field(default=None, max_length=128, pattern=NAME)
    bot_enabled: bool = True
    assignment: AssignmentMode = Field(
        default=AssignmentMode.LEAST_LOADED,
        description="How a ticket picks among free agents: least_loaded or round_robin.",
    )
    triage_threshold: float = Field(
        default=DEFAULT_TRIAGE_THRESHOLD,
        ge=0.0,
        le=1.0,
        description="Below this category confidence a ticket goes to the triage queue "
        "(needs a human look) instead of a team.",
    )


class PolicyView(PolicyIn):
    model_config = ConfigDict(from_attributes=True)


def case_view(case: RoutingCase) -> CaseView:
    view = CaseView.model_validate(case)
    view.clocks = [ClockView.model_validate(run) for run in case.sla.clocks.values()]
    triage = case.triage
    if triage is None:
        return view
    return view.model_copy(
        update={
            "category": triage.category,
            "category_confidence": triage.category_confidence,
            "language": triage.language,
            "language_confidence": triage.language_confidence,
            "urgency": triage.urgency,
            "urgency_confidence": triage.urgency_confidence,
            "sentiment": triage.sentiment,
            "sentiment_confidence": triage.sentiment_confidence,
            "top_categories": triage.top_categories,
            "needs_human_look": case.queue == TRIAGE_QUEUE,
        }
    )


def agent_view(agent: Agent) -> AgentView:
    return AgentView.model_validate(agent)


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


async def put(
    repo: Repository[A],
    tenant_id: str,
    key: str,
    create: Callable[[], A],
    change: Callable[[A], None],
) -> tuple[A, bool]:
    """Create or change one document, retrying races; returns it and whether it was new."""
    for _ in range(WRITE_RETRIES):
        current = await repo.get(tenant_id, key)
        try:
            if current is None:
                current = create()
                change(current)
                await repo.add(current)
                return current, True
            change(current)
            await repo.save(current)
            return current, False
        except (AlreadyExists, ConcurrencyError):
            continue
    raise ConcurrencyError(key)


async def delete(repo: Repository[A], tenant_id: str, key: str) -> None:
    result = await repo.collection.delete_one({"_id": key, "tenant_id": tenant_id})
    if result.deleted_count == 0:
        raise NotFound(key)


# ------------------------------------------------------------------ router


def router(
    routing: Router, kb: KnowledgeBase, articles: Repository[Article], clock: Clock
) -> APIRouter:
    api = APIRouter(prefix="/v1", route_class=StrictJsonRoute)
    store = routing.store
    created: dict[int | str, dict[str, Any]] = {201: {"description": "Created."}}

    # --- cases

    @api.get("/cases/{ticket_id}", tags=["cases"])
    async def get_case(ticket_id: str, scope: StaffScope) -> CaseView:
        """What the classifier read, the queue, agent, priority and SLA targets, and why."""
        case = await store.cases.get(scope.tenant, ticket_id)
        if case is None:
            raise NotFound(ticket_id)
        return case_view(case)

    @api.post("/cases/{ticket_id}/category", tags=["cases"])
    async def recategorise(ticket_id: str, body: CategoryIn, scope: StaffScope) -> CaseView:
        """Set the right category: kept to retrain the classifier; an open case moves to the
        category's queue (its agent stays if the queue does not change)."""
        try:
            case = await routing.recategorise(scope.tenant, ticket_id, body.category, scope.actor)
        except NotClassified as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, "not classified yet") from exc
        return case_view(case)

    # --- agents

    @api.get("/agents", tags=["agents"])
    async def list_agents(scope: StaffScope) -> list[AgentView]:
        return [agent_view(a) for a in await store.agents_of(scope.tenant)]

    @api.get("/agents/{agent_id}", tags=["agents"])
    async def get_agent(agent_id: str, scope: StaffScope) -> AgentView:
        agent = await store.agents.get(scope.tenant, Agent.key(scope.tenant, agent_id))
        if agent is None:
            raise NotFound(agent_id)
        return agent_view(agent)

    @api.put("/agents/{agent_id}", tags=["agents"], responses=created)
    async def put_agent(
        agent_id: Annotated[str, Path(pattern=NAME)],
        body: AgentIn,
        scope: ManagerScope,
        response: Response,
    ) -> AgentView:
        """Register an agent in this tenant or change their skills, capacity or presence."""

        def change(agent: Agent) -> None:
            agent.name = body.name
            agent.categories = list(body.categories)
            agent.languages = list(body.languages)
            agent.capacity = body.capacity
            agent.expert = body.expert
            agent.senior = body.senior
            agent.manager = body.manager
            if body.presence is not None:
                agent.presence = body.presence

        agent, new = await put(
            store.agents,
            scope.tenant,
            Agent.key(scope.tenant, agent_id),
            lambda: Agent(
                id=Agent.key(scope.tenant, agent_id), tenant_id=scope.tenant, agent_id=agent_id
            ),
            change,
        )
        routing.wake_dispatch(scope.tenant)  # online, or more capacity: waiting cases go out
        response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
        return agent_view(agent)

    @api.put("/agents/{agent_id}/presence", tags=["agents"])
    async def put_presence(agent_id: str, body: PresenceIn, scope: StaffScope) -> AgentView:
        """Online, away or offline: agents set their own; managers anyone's."""
        if scope.actor != agent_id and RANK[scope.principal.role] < RANK[Role.MANAGER]:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only for yourself, or as a manager")

        def change(agent: Agent) -> None:
            agent.presence = body.presence

        agent = await store.agents.change(scope.tenant, Agent.key(scope.tenant, agent_id), change)
        routing.wake_dispatch(scope.tenant)
        return agent_view(agent)

    @api.delete("/agents/{agent_id}", tags=["agents"], status_code=status.HTTP_204_NO_CONTENT)
    async def delete_agent(agent_id: str, scope: ManagerScope) -> None:
        """No new tickets for them here; the tickets they hold stay theirs in intake."""
        await delete(store.agents, scope.tenant, Agent.key(scope.tenant, agent_id))

    # --- queues

    @api.get("/queues", tags=["queues"])
    async def list_queues(scope: StaffScope) -> list[QueueView]:
        """The tenant's queues, then the default ones it has not redefined, in lookup order."""
        own = {q.queue_id for q in await store.tenant_queues(scope.tenant)}
        return [
            QueueView(
                id=q.id,
                name=q.name,
                categories=list(q.categories),
                expert_only=q.expert_only,
                source="tenant" if q.id in own else "default",
            )
            for q in (await store.catalogue(scope.tenant)).values()
        ]

    @api.put("/queues/{queue_id}", tags=["queues"], responses=created)
    async def put_queue(
        queue_id: Annotated[str, Path(pattern=NAME)],
        body: QueueIn,
        scope: ManagerScope,
        response: Response,
    ) -> QueueView:
        """Define a queue, or redefine a default one, for this tenant."""
        if queue_id in RESERVED_QUEUES and body.categories:
            raise invalid(f"{queue_id} is a catch-all desk", ("body", "categories"))

        def change(queue: TenantQueue) -> None:
            queue.name = body.name
            queue.categories = list(body.categories)
            queue.expert_only = body.expert_only

        key = TenantQueue.key(scope.tenant, queue_id)
        queue, new = await put(
            store.queues,
            scope.tenant,
            key,
            lambda: TenantQueue(id=key, tenant_id=scope.tenant, queue_id=queue_id, name=body.name),
            change,
        )
        store.memo.forget(scope.tenant)
        response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
        return QueueView(
            id=queue.queue_id,
            name=queue.name,
            categories=queue.categories,
            expert_only=queue.expert_only,
            source="tenant",
        )

    @api.delete("/queues/{queue_id}", tags=["queues"], status_code=status.HTTP_204_NO_CONTENT)
    async def delete_queue(queue_id: str, scope: ManagerScope) -> None:
        """Drop the tenant's definition; a default queue of that id takes over again."""
        await delete(store.queues, scope.tenant, TenantQueue.key(scope.tenant, queue_id))
        store.memo.forget(scope.tenant)

    # --- knowledge base

    @api.get("/kb/articles", tags=["knowledge base"])
    async def list_articles(scope: StaffScope) -> list[ArticleView]:
        """Global articles and the tenant's own (which replace global ones of the same id)."""
        found = await kb.articles_for(scope.tenant, include_inactive=True)
        return [article_view(a) for a in sorted(found, key=lambda a: a.article_id)]

    @api.get("/kb/articles/{article_id}", tags=["knowledge base"])
    async def get_article(article_id: str, scope: StaffScope) -> ArticleView:
        found = await kb.articles_for(scope.tenant, include_inactive=True)
        article = next((a for a in found if a.article_id == article_id), None)
        if article is None:
            raise NotFound(article_id)
        return article_view(article)

    @api.put("/kb/articles/{article_id}", tags=["knowledge base"], responses=created)
    async def put_article(
        article_id: Annotated[str, Path(pattern=NAME)],
        body: ArticleIn,
        scope: ManagerScope,
        response: Response,
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
            article.embedding_model = draft.embedding_model
            article.updated_by = scope.actor
            article.updated_at = clock.now()

        article, new = await put(articles, scope.tenant, key, lambda: draft, change)
        kb.memo.forget(scope.tenant)
        response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
        return article_view(article)

    @api.delete(
        "/kb/articles/{article_id}", tags=["knowledge base"], status_code=status.HTTP_204_NO_CONTENT
    )
    async def delete_article(article_id: str, scope: ManagerScope) -> None:
        """Delete the tenant's article (a global one of that id shows again)."""
        await delete(articles, scope.tenant, Article.key(scope.tenant, article_id))
        kb.memo.forget(scope.tenant)

    @api.get("/kb/search", tags=["knowledge base"])
    async def search(
        scope: StaffScope,
        q: Annotated[str, Query(min_length=1, max_length=2_000)],
        language: Language = "en",
        limit: Annotated[int, Query(ge=1, le=20)] = 5,
    ) -> list[SearchHit]:
        """Articles closest to a question, any category: for agents looking for an answer."""
        hits = await kb.search(scope.tenant, q, limit)
        return [
            SearchHit(
                article_id=h.article_id,
                title=(h.answers.get(language) or next(iter(h.answers.values()), ("", "")))[0],
                score=round(h.score, 4),
            )
            for h in hits
        ]

    # --- policy and corrections

    @api.get("/policy", tags=["policy"])
    async def get_policy(scope: StaffScope) -> PolicyView:
        return PolicyView.model_validate(await store.policy(scope.tenant))

    @api.put("/policy", tags=["policy"])
    async def put_policy(body: PolicyIn, scope: AdminScope) -> PolicyView:
        """VIP status, VIP travellers and their account manager, appeals' manager, the bot."""

        def change(policy: RoutingPolicy) -> None:
            for name, value in body.model_dump().items():
                setattr(policy, name, value)

        policy, _ = await put(
            store.policies,
            scope.tenant,
            scope.tenant,
            lambda: RoutingPolicy.default(scope.tenant),
            change,
        )
        store.memo.forget(scope.tenant)
        return PolicyView.model_validate(policy)

    @api.get(
        "/corrections",
        tags=["learning"],
        response_class=Response,
        responses={200: {"content": {"application/x-ndjson": {}}}},
    )
    async def export_corrections(scope: ManagerScope, since: datetime | None = None) -> Response:
        """The tenant's corrections as the triage trainer's JSON lines (personal data masked)."""
        rows = training_rows(await store.corrections(scope.tenant, since))
        body = b"".join(orjson.dumps(row) + b"\n" for row in rows)
        return Response(body, media_type="application/x-ndjson")

    return api
