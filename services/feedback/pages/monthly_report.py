"""The monthly report as one self-contained HTML page, its charts drawn by matplotlib.

Charts are drawn with matplotlib's object API on the Agg/SVG canvas (no pyplot,
so no global state and safe in a worker thread) and embedded as inline SVG:
the report is one self-contained HTML file a manager can save or mail.
"""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from matplotlib import rc_context
from matplotlib.figure import Figure

from contracts.local_time import zone_of as offset_of
from services.feedback.domain.monthly_report import MonthlyReport, add_months, month_start
from services.feedback.pages.traveller import TEMPLATES

# Layout measures Chinese and Japanese labels with a font that has none of their glyphs;
# the browser draws them (``_svg``), so that measure's warning is noise, not a defect.
warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)


def _svg(figure: Figure) -> Markup:
    """The figure as inline SVG (no XML prologue), deterministic ids for stable output.
    Text stays text (``svg.fonttype: none``), drawn by the reader's browser: matplotlib's
    own font has no Chinese or Japanese, whose labels it drew as empty boxes."""
    out = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):
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
    # Categories may be a traveller's own words (a web form's hint): text, never mathtext,
    # where "$…$" would be drawn as a formula or fail to parse.
    axes.set_yticks(list(positions), [t.category for t in trends], parse_math=False)
    axes.set_title("Top complaint categories")
    if trends:
        axes.legend()
    return _svg(figure)


def zone_label(report: MonthlyReport) -> str:
    """``Asia/Shanghai (UTC+08:00)``; both offsets where daylight saving moved it within the
    month (``America/New_York (UTC-05:00 to UTC-04:00)``); ``UTC`` alone."""
    if report.time_zone == "UTC":
        return "UTC"
    first, last = offset_of(report.start), offset_of(report.end)
    return f"{report.time_zone} ({first if first == last else f'{first} to {last}'})"


def render_monthly(report: MonthlyReport, month: date) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),
    )
    return env.get_template("report.html").render(
        report=report,
        zone=zone_label(report),
        charts={
            "volume": volume_chart(report, month),
            "frt": frt_chart(report, month),
            "csat": csat_chart(report),
            "categories": categories_chart(report),
        },
    )
