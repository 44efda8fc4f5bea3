"""What routing's handlers are given: the objects ``main.bootstrap`` put on ``app.state``.

Every dependency is a coroutine: FastAPI runs a plain function in a worker thread per
request, and these only read an attribute.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from runtime.app_state import from_state
from runtime.cache import TenantMemo
from runtime.clock import Clock
from runtime.store import Repository
from services.routing.care.domain.partners import PartnerRegistration
from services.routing.care.service import ProactiveCare
from services.routing.kb.articles import Article, KnowledgeBase
from services.routing.service import Router
from services.routing.sla.store import TenantSlaPolicy
from services.routing.store import RoutingStore


async def get_store(request: Request) -> RoutingStore:
    routing: Router = request.app.state.routing
    return routing.store


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.runtime.clock
    return clock


async def get_registrations(request: Request) -> Repository[PartnerRegistration]:
    """Partners' stored secrets; bootstrap always gives care a repository for them."""
    care: ProactiveCare = request.app.state.care
    registrations = care.partners.registrations
    assert registrations is not None
    return registrations


RoutingDep = Annotated[Router, Depends(from_state("routing"))]
"""The use cases (recategorise, and waking the dispatcher when agents change)."""
StoreDep = Annotated[RoutingStore, Depends(get_store)]
KnowledgeBaseDep = Annotated[KnowledgeBase, Depends(from_state("kb"))]
ArticlesDep = Annotated[Repository[Article], Depends(from_state("articles"))]
ClockDep = Annotated[Clock, Depends(get_clock)]
CareDep = Annotated[ProactiveCare, Depends(from_state("care"))]
RegistrationsDep = Annotated[Repository[PartnerRegistration], Depends(get_registrations)]
SlaPoliciesDep = Annotated[Repository[TenantSlaPolicy], Depends(from_state("sla_policies"))]
MemoDep = Annotated[TenantMemo, Depends(from_state("memo"))]
