"""The desk's metrics for managers: ``GET /v1/metrics``, overall and per slice."""

from __future__ import annotations

from fastapi import APIRouter

from runtime.auth import ManagerOfQuery
from runtime.errors import StrictJsonRoute
from services.feedback.api.deps import FeedbackDep
from services.feedback.api.filters import By, From, To, dimensions, window
from services.feedback.api.models import MetricsView
from services.feedback.domain.buckets import zone_of

router = APIRouter(prefix="/v1/metrics", route_class=StrictJsonRoute)


@router.get("", tags=["managers"], response_model_by_alias=True)
async def metrics(
    scope: ManagerOfQuery,
    feedback: FeedbackDep,
    start: From = None,
    end: To = None,
    by: By = None,
) -> MetricsView:
    """The desk's numbers for tickets opened in [from, to), overall and per slice.

    For managers; ``tenant`` (default: ``X-Tenant-Id``, else the token's only one) must be
    one of theirs.
    """
    tenant = scope.tenant
    zone = zone_of(await feedback.business_zone(tenant))
    start, end = window(start, end, feedback.clock.now(), zone)
    computed = await feedback.metrics(tenant, start, end, dimensions(by))
    return MetricsView(tenant=tenant, start=start, end=end, **computed.model_dump())
