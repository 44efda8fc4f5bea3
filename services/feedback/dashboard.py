"""The ops dashboard: volumes, queues, SLA, FRT/TTR/FCR/CSAT/NPS trends, the bot's share.

Served by feedback because it owns the metrics read model. One GET form
(tenant, from, to) drives it, so it works and filters without JavaScript; the
charts are drawn by Chart.js, served from this service (no CDN), over the same
numbers that the tables under each chart show.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from runtime.auth import RANK, Principal, Role
from runtime.errors import StrictJsonRoute
from runtime.pages import (
    LANGUAGE_COOKIE,
    WordTable,
    reader_language,
    render,
    serve_static,
    template_environment,
)
from runtime.staff_session import COOKIE, StaffSession
from services.feedback import dashboard_view as view
from services.feedback.handlers import Feedback
from services.feedback.incidents_reader import IncidentsReader

ROOT = Path(__file__).parent
TEMPLATES = ROOT / "templates"
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=400)
STATIC = {
    "chart.umd.min.js": ("static/chart.umd.min.js", "text/javascript"),
    "dashboard.js": ("static/dashboard.js", "text/javascript"),
}


class BadFilter(ValueError):
    """A filter the dashboard cannot apply; the page says which."""


def window(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """``[from 00:00, to + 1 day)`` in UTC; by default the API's window (30 days to now)."""
    try:
        until = (
            datetime.combine(date.fromisoformat(end), time(), UTC) + timedelta(days=1)
            if end
            else now + timedelta(seconds=1)
        )
        since = (
            datetime.combine(date.fromisoformat(start), time(), UTC)
            if start
            else until - DEFAULT_WINDOW
        )
    except ValueError as exc:
        raise BadFilter("date") from exc
    if since >= until or until - since > MAX_WINDOW:
        raise BadFilter("window")
    return since, until


def router(feedback: Feedback, session: StaffSession, incidents: IncidentsReader) -> APIRouter:
    api = APIRouter(prefix="/dashboard", include_in_schema=False, route_class=StrictJsonRoute)
    env = template_environment(TEMPLATES)
    words = WordTable(TEMPLATES / "dashboard" / "messages.json")

    def page(request: Request, principal: Principal, code: int, **values: Any) -> HTMLResponse:
        language = reader_language(request)
        body = render(env, "dashboard/dashboard.html", words, language, me=principal.id, **values)
        response = HTMLResponse(body, status_code=code)
        if request.query_params.get("lang") == language:
            session.remember(response, LANGUAGE_COOKIE, language)
        return response

    @api.get("")
    async def dashboard(request: Request) -> Response:
        principal = session.principal(request)
        if principal is None:
            return session.login_redirect(request)
        params = request.query_params
        tenant = params.get("tenant") or principal.tenants[0]
        base: dict[str, Any] = {
            "tenants": principal.tenants,
            "tenant": tenant,
            "start_value": params.get("from", ""),
            "end_value": params.get("to", ""),
        }
        if RANK[principal.role] < RANK[Role.MANAGER] or tenant not in principal.tenants:
            return page(request, principal, 403, error="error_forbidden", **base)
        try:
            start, end = window(params.get("from"), params.get("to"), feedback.clock.now())
        except BadFilter as exc:
            return page(request, principal, 422, error=f"error_{exc}", **base)
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
        return page(
            request,
            principal,
            200,
            error=None,
            start=start,
            end=end,
            tiles=view.tiles(overall),
            metrics=overall,
            depths=view.queue_depths(facts, now),
            incidents=recent,
            charts=charts,
            **base,
        )

    serve_static(api, ROOT, STATIC)
    return api
