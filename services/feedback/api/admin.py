"""Operations for a tenant's admin: run retention now."""

from __future__ import annotations

from fastapi import APIRouter

from runtime.auth import AdminScope
from runtime.errors import StrictJsonRoute
from services.feedback.api.deps import FeedbackDep

router = APIRouter(prefix="/v1/admin", route_class=StrictJsonRoute)


@router.post("/archive", tags=["admin"])
async def archive_now(scope: AdminScope, feedback: FeedbackDep) -> dict[str, dict[str, int]]:
    """Run retention for the caller's tenant now (it also runs on its own every hour)."""
    return {"moved": await feedback.archive(feedback.clock.now(), scope.tenant)}
