"""Reports for managers: the metrics as CSV, and the monthly HTML report with charts."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from runtime.auth import ManagerOfPath
from runtime.errors import StrictJsonRoute
from runtime.headers import CSP, DOCUMENT_POLICY
from services.feedback.api.deps import FeedbackDep
from services.feedback.api.filters import By, From, To, dimensions, window
from services.feedback.domain.buckets import zone_of
from services.feedback.domain.metrics_csv import metrics_csv
from services.feedback.domain.monthly_report import build_monthly, report_span
from services.feedback.pages.monthly_report import render_monthly

router = APIRouter(prefix="/v1/reports", route_class=StrictJsonRoute)


@router.get(
    "/{tenant_id}.csv",
    tags=["managers"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def report_csv(
    scope: ManagerOfPath,
    feedback: FeedbackDep,
    start: From = None,
    end: To = None,
    by: By = "day",
    bom: Annotated[
        bool,
        Query(
            description="true: start with the UTF-8 byte order mark, so Excel reads "
            "Chinese or Japanese agent ids, categories and comments as UTF-8."
        ),
    ] = False,
) -> Response:
    """The metrics as CSV, one row per slice (default: per day); ``bom=true`` for Excel."""
    tenant = scope.tenant
    zone = zone_of(await feedback.business_zone(tenant))
    start, end = window(start, end, feedback.clock.now(), zone)
    computed = await feedback.metrics(tenant, start, end, dimensions(by))
    return Response(
        metrics_csv(computed, bom=bom),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{tenant}.csv"'},
    )


@router.get(
    "/{tenant_id}/{month}.html",
    tags=["managers"],
    response_class=HTMLResponse,
)
async def report_monthly(
    scope: ManagerOfPath,
    month: Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])],
    feedback: FeedbackDep,
) -> HTMLResponse:
    """The monthly report: key figures, charts of volume, FRT and CSAT, category trends."""
    tenant = scope.tenant
    first = date(int(month[:4]), int(month[5:]), 1)
    start, end = report_span(first)
    facts = await feedback.facts_between(tenant, start, end)
    zone = await feedback.business_zone(tenant)
    now = feedback.clock.now()

    def render() -> str:
        built = build_monthly(facts, tenant=tenant, month=first, now=now, time_zone=zone)
        return render_monthly(built, first)

    return HTMLResponse(await asyncio.to_thread(render), headers={CSP: DOCUMENT_POLICY})
