"""The monthly report's content: key figures, this month against the last, category trends. Pure.

It reads the facts of two quarters ending with the month (``report_span``), so
the quarter's category trends have the previous quarter to compare with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from pydantic import BaseModel

from contracts.events import Priority
from services.feedback.domain.buckets import zone_of
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.metrics import Group, Metrics, MetricsReport, compute_metrics
from services.feedback.domain.trends import Trend, category_trends

QUARTER_MONTHS = 3
HEADLINE_CHANGE = 0.10
"""Category trends at least this large (up or down) make the report's headlines."""


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months from ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date, zone: tzinfo = UTC) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=zone)


def report_span(month: date) -> tuple[datetime, datetime]:
    """The facts a monthly report reads: two quarters ending with the month (for trends), a
    day more on each side, so the months of any tenant's zone (UTC-12 to +14) are in it."""
    first = month_start(add_months(month, -2 * QUARTER_MONTHS + 1))
    return first - timedelta(days=1), month_start(add_months(month, 1)) + timedelta(days=1)


class Headline(BaseModel):
    category: str
    change: float
    count: int
    previous: int


class MonthlyReport(BaseModel):
    tenant: str
    month: str
    time_zone: str
    """The tenant's business zone (``buckets.tenant_zone``) or UTC: the month, its days and
    weeks."""
    start: datetime
    end: datetime
    """The month's bounds in ``time_zone`` (``[start, end)``), which the page states: a
    manager reconciling by hand knows where the month was cut."""
    generated_at: datetime
    current: MetricsReport
    previous: Metrics
    by_day: MetricsReport
    by_week: MetricsReport
    categories_month: list[Trend]
    categories_quarter: list[Trend]
    headlines: list[Headline]
    sla_by_priority: list[Group]
    """The month's SLA clocks and breaches per priority, most urgent first."""


def _category_counts(report: MetricsReport) -> Counter[str]:
    """Tickets opened per category. A slice may hold only a follow-up to an older ticket
    or an SLA clock of another category: no ticket, so no complaint category of the period."""
    return Counter(
        {g.key["category"]: g.metrics.tickets for g in report.groups if g.metrics.tickets}
    )


def _by_urgency(report: MetricsReport) -> list[Group]:
    """Priority groups with an SLA clock or breach, critical first (``unknown`` last)."""
    rank = {priority.value: n for n, priority in enumerate(Priority)}
    groups = [g for g in report.groups if g.metrics.sla.attainment.of or g.metrics.sla.breaches]
    return sorted(groups, key=lambda g: rank.get(g.key["priority"], len(rank)))


def build_monthly(
    facts: Iterable[TicketFacts],
    *,
    tenant: str,
    month: date,
    now: datetime,
    time_zone: str | None = None,
) -> MonthlyReport:
    """Everything the monthly report shows, from the facts of ``report_span(month)``, its
    month in the tenant's business ``time_zone`` (``buckets.tenant_zone``; None: UTC)."""
    known = list(facts)
    zone = zone_of(time_zone)
    this_month, next_month = month_start(month, zone), month_start(add_months(month, 1), zone)
    last_month = month_start(add_months(month, -1), zone)
    quarter = month_start(add_months(month, -QUARTER_MONTHS + 1), zone)
    last_quarter = month_start(add_months(month, -2 * QUARTER_MONTHS + 1), zone)

    def metrics(start: datetime, end: datetime, by: Sequence[str] = ()) -> MetricsReport:
        return compute_metrics(known, start=start, end=end, now=now, by=by)

    quarter_trends = category_trends(
        _category_counts(metrics(quarter, next_month, ["category"])),
        _category_counts(metrics(last_quarter, quarter, ["category"])),
    )
    headlines = [
        Headline(category=t.category, change=t.change, count=t.count, previous=t.previous)
        for t in quarter_trends
        if t.change is not None and abs(t.change) >= HEADLINE_CHANGE
    ]
    return MonthlyReport(
        tenant=tenant,
        month=month.strftime("%Y-%m"),
        time_zone=time_zone or "UTC",
        start=this_month,
        end=next_month,
        generated_at=now,
        current=metrics(this_month, next_month),
        previous=metrics(last_month, this_month),
        by_day=metrics(this_month, next_month, ["day"]),
        by_week=metrics(this_month, next_month, ["week"]),
        categories_month=category_trends(
            _category_counts(metrics(this_month, next_month, ["category"])),
            _category_counts(metrics(last_month, this_month, ["category"])),
        ),
        categories_quarter=quarter_trends,
        headlines=headlines,
        sla_by_priority=_by_urgency(metrics(this_month, next_month, ["priority"])),
    )
