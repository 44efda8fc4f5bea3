"""The ops dashboard: volumes, queues, SLA, FRT/TTR/FCR/CSAT/NPS trends, the bot's share.

Served by feedback because it owns the metrics read model. One GET form
(tenant, from, to) drives it, so it works and filters without JavaScript; the
charts are drawn by Chart.js, served from this service (no CDN), over the same
numbers that the tables under each chart show. The header bar, sign-in and
language are the staff pages' (``runtime.staff_pages``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from runtime.auth import RANK, Role
from runtime.errors import StrictJsonRoute
from runtime.pages import serve_static
from runtime.staff_pages import StaffPages
from runtime.staff_session import COOKIE, StaffSession
from services.feedback.api.deps import FeedbackDep, IncidentsDep, StaffPagesDep
from services.feedback.domain.buckets import zone_of
from services.feedback.pages import dashboard_view as view

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "templates"
PAGE = "dashboard/dashboard.html"
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=400)
STATIC = {
    "chart.umd.min.js": ("static/chart.umd.min.js", "text/javascript"),
    "dashboard.js": ("static/dashboard.js", "text/javascript"),
}

router = APIRouter(prefix="/dashboard", include_in_schema=False, route_class=StrictJsonRoute)


def staff_pages(session: StaffSession) -> StaffPages:
    """The dashboard's page set, on the staff base (what bootstrap puts on ``app.state``)."""
    return StaffPages(session, TEMPLATES, TEMPLATES / "dashboard" / "messages.json")


class BadFilter(ValueError):
    """A filter the dashboard cannot apply; the page says which."""


def window(
    start: str | None, end: str | None, now: datetime, zone: tzinfo = UTC
) -> tuple[datetime, datetime]:
    """``[from 00:00, to + 1 day)`` in the tenant's business ``zone`` (a Shanghai manager's
    days run from midnight in Shanghai); by default the API's window (30 days to now)."""
    try:
        until = (
            datetime.combine(date.fromisoformat(end) + timedelta(days=1), time(), zone)
            if end
            else now + timedelta(seconds=1)
        ).astimezone(UTC)
        since = (
            datetime.combine(date.fromisoformat(start), time(), zone)
            if start
            else until - DEFAULT_WINDOW
        ).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # not a date, or 30 days before year 1
        raise BadFilter("date") from exc
    if since >= until or until - since > MAX_WINDOW:
        raise BadFilter("window")
    return since, until


@router.get("")
async def dashboard(
    request: Request, feedback: FeedbackDep, pages: StaffPagesDep, incidents: IncidentsDep
) -> Response:
    principal = pages.session.principal(request)
    if principal is None:
        return pages.session.login_redirect(request)
    params = request.query_params
    tenant = params.get("tenant") or principal.tenants[0]
    base: dict[str, Any] = {
        "me": principal.id,
        "tenants": principal.tenants,
        "tenant": tenant,
        "start_value": params.get("from", ""),
        "end_value": params.get("to", ""),
    }
    if RANK[principal.role] < RANK[Role.MANAGER] or tenant not in principal.tenants:
        return pages.render(request, PAGE, 403, error="error_forbidden", **base)
    zone_name = await feedback.business_zone(tenant)
    zone = zone_of(zone_name)
    try:
        start, end = window(params.get("from"), params.get("to"), feedback.clock.now(), zone)
    except BadFilter as exc:
        return pages.render(request, PAGE, 422, error=f"error_{exc}", **base)
    overall, channels, categories, days, facts, recent = await asyncio.gather(
        feedback.metrics(tenant, start, end),
        feedback.metrics(tenant, start, end, ["channel"]),
        feedback.metrics(tenant, start, end, ["category"]),
        feedback.metrics(tenant, start, end, ["day"]),
        feedback.facts_between(tenant, start, end),
        incidents.open_incidents(request.cookies.get(COOKIE, ""), tenant),
    )
    now = feedback.clock.now()
    charts = {
        "channels": view.volumes(channels, "channel"),
        "categories": view.volumes(categories, "category"),
        "trends": view.trends(days),
        "queues": [(d.queue, d.open) for d in view.queue_depths(facts, now)],
    }
    return pages.render(
        request,
        PAGE,
        200,
        error=None,
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        zone=zone_name or "UTC",
        tiles=view.tiles(overall),
        metrics=overall,
        depths=view.queue_depths(facts, now),
        incidents=recent,
        charts=charts,
        **base,
    )


serve_static(router, ROOT, STATIC)
