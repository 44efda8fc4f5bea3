"""Reports for support managers: the metrics as CSV, and a monthly HTML report with charts.

Charts are drawn with matplotlib's object API on the Agg/SVG canvas (no pyplot,
so no global state and safe in a worker thread) and embedded as inline SVG:
the report is one self-contained HTML file a manager can save or mail.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from matplotlib.figure import Figure
from pydantic import BaseModel

from contracts.events import Priority
from services.feedback.domain import (
    Group,
    Metrics,
    MetricsReport,
    TicketFacts,
    Trend,
    category_trends,
    compute_metrics,
)
from services.feedback.pages import TEMPLATES

QUARTER_MONTHS = 3
HEADLINE_CHANGE = 0.10
"""Category trends at least this large (up or down) make the report's headlines."""


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months from ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def report_span(month: date) -> tuple[datetime, datetime]:
    """The facts a monthly report reads: two quarters ending with the month (for trends)."""
    return month_start(add_months(month, -2 * QUARTER_MONTHS + 1)), month_start(
        add_months(month, 1)
    )


# ------------------------------------------------------------------------ CSV


def _flatten(prefix: str, value: Any, row: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}_{key}" if prefix else str(key), inner, row)
    else:
        row[prefix] = "" if value is None else value


def metrics_row(metrics: Metrics) -> dict[str, Any]:
    """One flat row (``csat_avg``, ``sla_resolution_rate``…), columns following the model."""
    row: dict[str, Any] = {}
    _flatten("", Metrics.model_validate(metrics.model_dump()).model_dump(), row)
    return row


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet runs a cell starting so as a formula (CSV injection)."""


def safe_cell(value: Any) -> Any:
    """Free text that a spreadsheet would run as a formula, quoted to stay text; numbers as
    they are (a negative number is a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def metrics_csv(report: MetricsReport) -> str:
    """One row per group (or one for the whole window when not sliced); text cells are
    neutralised against CSV injection (``safe_cell``)."""
    rows = (
        [{**group.key, **metrics_row(group.metrics)} for group in report.groups]
        if report.by
        else [metrics_row(report)]
    )
    columns = [*report.by, *metrics_row(report).keys()]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


# -------------------------------------------------------------------- monthly


class Headline(BaseModel):
    category: str
    change: float
    count: int
    previous: int


class MonthlyReport(BaseModel):
    tenant: str
    month: str
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
    return Counter({group.key["category"]: group.metrics.tickets for group in report.groups})


def _by_urgency(report: MetricsReport) -> list[Group]:
    """Priority groups with an SLA clock or breach, critical first (``unknown`` last)."""
    rank = {priority.value: n for n, priority in enumerate(Priority)}
    groups = [g for g in report.groups if g.metrics.sla.attainment.of or g.metrics.sla.breaches]
    return sorted(groups, key=lambda g: rank.get(g.key["priority"], len(rank)))


def build_monthly(
    facts: Iterable[TicketFacts], *, tenant: str, month: date, now: datetime
) -> MonthlyReport:
    """Everything the monthly report shows, from the facts of ``report_span(month)``."""
    known = list(facts)
    this_month, next_month = month_start(month), month_start(add_months(month, 1))
    last_month = month_start(add_months(month, -1))
    quarter = month_start(add_months(month, -QUARTER_MONTHS + 1))
    last_quarter = month_start(add_months(month, -2 * QUARTER_MONTHS + 1))

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


def _svg(figure: Figure) -> Markup:
    """The figure as inline SVG (no XML prologue), deterministic ids for stable output."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return Markup(text[text.index("<svg") :])


def _figure() -> Figure:
    figure = Figure(figsize=(7.5, 2.8), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    return figure


def _days(month: date) -> list[str]:
    first = month_start(month)
    count = (month_start(add_months(month, 1)) - first).days
    return [(first + timedelta(days=n)).strftime("%Y-%m-%d") for n in range(count)]


def volume_chart(report: MonthlyReport, month: date) -> Markup:
    per_day = {g.key["day"]: g.metrics.tickets for g in report.by_day.groups}
    days = _days(month)
    figure = _figure()
    axes = figure.add_subplot()
    axes.bar(range(len(days)), [per_day.get(d, 0) for d in days], color="#1f5fd6")
    axes.set_xticks(range(0, len(days), 5), [days[i][5:] for i in range(0, len(days), 5)])
    axes.set_ylabel("tickets opened")
    axes.set_title("Volume per day")
    axes.grid(axis="y", alpha=0.3)
    return _svg(figure)


def frt_chart(report: MonthlyReport, month: date) -> Markup:
    stats = {g.key["day"]: g.metrics.first_response_time_s for g in report.by_day.groups}
    days = [d for d in _days(month) if d in stats and stats[d].count]
    figure = _figure()
    axes = figure.add_subplot()
    for name, color in (("p50", "#1f5fd6"), ("p90", "#d65f1f")):
        values = [(getattr(stats[d], name) or 0) / 60 for d in days]
        axes.plot([d[5:] for d in days], values, marker="o", label=name, color=color)
    axes.set_ylabel("minutes")
    axes.set_title("First response time per day")
    if days:
        axes.legend()
        axes.tick_params(axis="x", labelrotation=45)
    axes.grid(alpha=0.3)
    return _svg(figure)


def csat_chart(report: MonthlyReport) -> Markup:
    weeks = [g for g in report.by_week.groups if g.metrics.csat.count]
    figure = _figure()
    axes = figure.add_subplot()
    labels = [g.key["week"] for g in weeks]
    axes.plot(labels, [g.metrics.csat.avg or 0.0 for g in weeks], marker="o", color="#2a9d5c")
    for label, group in zip(labels, weeks, strict=True):
        axes.annotate(f"n={group.metrics.csat.count}", (label, group.metrics.csat.avg or 0))
    axes.set_ylim(1, 5.3)
    axes.set_ylabel("CSAT (1–5)")
    axes.set_title("CSAT per week")
    axes.grid(alpha=0.3)
    return _svg(figure)


def categories_chart(report: MonthlyReport) -> Markup:
    trends = list(reversed(report.categories_month))
    figure = _figure()
    axes = figure.add_subplot()
    positions = range(len(trends))
    axes.barh([p + 0.2 for p in positions], [t.count for t in trends], 0.4, label="this month")
    axes.barh([p - 0.2 for p in positions], [t.previous for t in trends], 0.4, label="last month")
    axes.set_yticks(list(positions), [t.category for t in trends])
    axes.set_title("Top complaint categories")
    if trends:
        axes.legend()
    return _svg(figure)


def render_monthly(report: MonthlyReport, month: date) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
    )
    return env.get_template("report.html").render(
        report=report,
        charts={
            "volume": volume_chart(report, month),
            "frt": frt_chart(report, month),
            "csat": csat_chart(report),
            "categories": categories_chart(report),
        },
    )
