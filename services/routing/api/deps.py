"""What routing's handlers are given: the objects ``main.bootstrap`` put on ``app.state``.

Every dependency is a coroutine: FastAPI runs a plain function in a worker thread per
request, and these only read an attribute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runtime.cache import TenantMemo
from runtime.clock import Clock
from runtime.store import Repository
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.service import ProactiveCare
from services.routing.kb.articles import Article, KnowledgeBase
from services.routing.service import Router
from services.routing.sla.store import TenantSlaPolicy
from services.routing.store import RoutingStore


async def get_routing(request: Request) -> Router:
    routing: Router = request.app.state.routing
    return routing


async def get_store(request: Request) -> RoutingStore:
    routing: Router = request.app.state.routing
    return routing.store


async def get_kb(request: Request) -> KnowledgeBase:
    kb: KnowledgeBase = request.app.state.kb
    return kb


async def get_articles(request: Request) -> Repository[Article]:
    articles: Repository[Article] = request.app.state.articles
    return articles


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.runtime.clock
    return clock


async def get_care(request: Request) -> ProactiveCare:
    care: ProactiveCare = request.app.state.care
    return care


async def get_registrations(request: Request) -> Repository[PartnerRegistration]:
    """Partners' stored secrets; bootstrap always gives care a repository for them."""
    care: ProactiveCare = request.app.state.care
    registrations = care.partners.registrations
    assert registrations is not None
    return registrations


async def get_sla_policies(request: Request) -> Repository[TenantSlaPolicy]:
    policies: Repository[TenantSlaPolicy] = request.app.state.sla_policies
    return policies


async def get_memo(request: Request) -> TenantMemo:
    """The tenants' configuration cache, forgotten for a tenant whose settings change."""
    memo: TenantMemo = request.app.state.memo
    return memo


RoutingDep = Annotated[Router, Depends(get_routing)]
"""The use cases (recategorise, and waking the dispatcher when agents change)."""
StoreDep = Annotated[RoutingStore, Depends(get_store)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(get_kb)]
ArticlesDep = Annotated[Repository[Article], Depends(get_articles)]
ClockDep = Annotated[Clock, Depends(get_clock)]
CareDep = Annotated[ProactiveCare, Depends(get_care)]
RegistrationsDep = Annotated[Repository[PartnerRegistration], Depends(get_registrations)]
SlaPoliciesDep = Annotated[Repository[TenantSlaPolicy], Depends(get_sla_policies)]
MemoDep = Annotated[TenantMemo, Depends(get_memo)]
