"""Manager reports: the CSV export and the monthly HTML report with its charts and trends."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from services.feedback.domain.buckets import tenant_zone
from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.metrics import compute_metrics
from services.feedback.domain.metrics_csv import metrics_csv, safe_cell
from services.feedback.domain.monthly_report import add_months, build_monthly, report_span
from services.feedback.pages.monthly_report import render_monthly
from tests.factories import T0
from tests.feedback_story import END, NOW, START, Desk, a_day_at_the_desk, traveller


def fold(desk: Desk) -> list[TicketFacts]:
    facts: dict[str, TicketFacts] = {}
    for envelope in desk.envelopes:
        ticket = envelope.payload.ticket_id
        facts.setdefault(ticket, TicketFacts.blank("acme", ticket)).apply(envelope.payload)
    return list(facts.values())


def test_the_csv_has_one_row_per_slice_and_a_column_per_metric() -> None:
    report = compute_metrics(
        fold(a_day_at_the_desk()), start=START, end=END, now=NOW, by=["channel"]
    )
    rows = list(csv.DictReader(io.StringIO(metrics_csv(report))))

    assert [r["channel"] for r in rows] == ["email", "in_app", "phone", "web_chat"]
    email = rows[0]
    assert (email["tickets"], email["merged"], email["sla_first_response_rate"]) == (
        "2",
        "1",
        "0.5",
    ), "TF's first response breached: missed, though its stop has not come"
    assert (email["sla_breaches"], email["sla_breached_tickets"]) == ("2", "1")
    assert email["sla_next_response_of"] == "0"
    assert email["csat_avg"] == "5.0"
    assert rows[2]["critical_resolved_in_10m_rate"] == "1.0"
    assert rows[3]["first_contact_resolution_rate"] == "", "no resolved web-chat ticket"


def test_months_and_the_span_a_report_reads() -> None:
    assert add_months(date(2026, 11, 1), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    start, end = report_span(date(2026, 11, 1))
    assert (start.date(), end.date()) == (date(2026, 5, 31), date(2026, 12, 2)), "any zone"


def test_the_monthly_report_draws_its_charts_and_names_the_quarters_trends() -> None:
    desk = a_day_at_the_desk()
    # Hotel complaints: 20 in the quarter before (June–August), 23 in this one: 22 in
    # October and TB. The story adds TG (23 Nov) and TH (26 Nov) to the month.
    for n in range(20):
        ticket = f"H{n}"
        desk.opened(ticket, -120 * 24 * 60 + n, traveller(ticket))
        desk.routed(ticket, -120 * 24 * 60 + n + 1, category="hotel_issue")
    for n in range(22):
        ticket = f"N{n}"
        desk.opened(ticket, -40 * 24 * 60 + n, traveller(ticket))
        desk.routed(ticket, -40 * 24 * 60 + n + 1, category="hotel_issue")
    month = date(2026, 11, 1)

    report = build_monthly(fold(desk), tenant="acme", month=month, now=NOW)

    assert (report.current.tickets, report.previous.tickets) == (7, 22)
    hotel = next(t for t in report.categories_quarter if t.category == "hotel_issue")
    assert (hotel.count, hotel.previous, hotel.change) == (23, 20, 0.15)
    assert [(h.category, h.change) for h in report.headlines] == [("hotel_issue", 0.15)]
    assert [g.key["day"] for g in report.by_day.groups] == [
        "2026-11-23",
        "2026-11-25",
        "2026-11-26",
    ]

    html = render_monthly(report, month)
    assert html.count("<svg") == 4
    assert "hotel_issue</strong> complaints +15 % this quarter (23 vs 20" in html
    assert "<?xml" not in html
    assert "Support report · acme · 2026-11" in html


def test_a_shanghai_desks_month_runs_from_midnight_in_shanghai() -> None:
    """Opened at 01:30 on 1 December in Shanghai (17:30 UTC on 30 November), a ticket is
    December's, on its first day; one at 07:00 on 1 December UTC (15:00 in Shanghai) too."""
    desk = Desk(tenant="shanghai-travel")
    for ticket, minute in (("S1", 5 * 24 * 60 + 15 * 60 + 30), ("S2", 6 * 24 * 60 + 5 * 60)):
        desk.opened(ticket, minute, traveller(ticket, "zh-Hans"))
        desk.routed(ticket, minute + 1, time_zone="Asia/Shanghai")
    month = date(2026, 12, 1)
    start, end = report_span(month)
    facts = [f for f in fold(desk) if f.opened_at and start <= f.opened_at < end]

    zone = tenant_zone(f.business_time_zone for f in fold(desk))
    report = build_monthly(facts, tenant="shanghai-travel", month=month, now=NOW, time_zone=zone)

    assert report.current.tickets == 2
    assert [g.key["day"] for g in report.by_day.groups] == ["2026-12-01"]
    assert report.time_zone == "Asia/Shanghai"
    assert report.start.isoformat() == "2026-12-01T00:00:00+08:00"
    html = render_monthly(report, month)
    assert "2026-12-01 00:00 to 2027-01-01 00:00 Asia/Shanghai (UTC+08:00)" in html


def test_an_empty_month_still_renders() -> None:
    month = date(2026, 11, 1)
    report = build_monthly([], tenant="acme", month=month, now=T0 + timedelta(days=1))
    html = render_monthly(report, month)
    assert html.count("<svg") == 4
    assert report.headlines == []


def test_csv_cells_a_spreadsheet_would_run_as_formulas_stay_text() -> None:
    report = compute_metrics(
        fold(a_day_at_the_desk()), start=START, end=END, now=NOW, by=["channel"]
    )
    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
    groups = [
        group.model_copy(update={"key": {"channel": text}})
        for group, text in zip(report.groups, hostile, strict=False)
    ]

    rows = list(
        csv.DictReader(io.StringIO(metrics_csv(report.model_copy(update={"groups": groups}))))
    )

    assert [r["channel"] for r in rows] == ["'" + text for text in hostile[: len(groups)]]
    assert rows[0]["tickets"] == str(groups[0].metrics.tickets)


def test_formulas_behind_blanks_full_width_signs_or_a_semicolon_stay_text() -> None:
    """Excel runs ``＝1+1`` (full-width) and `` =1+1`` as formulas too, and in a locale whose
    list separator is ``;`` (de, fr) each ``;`` starts a cell of its own (OWASP)."""
    hidden = ["＝1+1", "＋1", "－2+3", "＠SUM(A1)", " =1+1", "\t =1+1", "\u3000=1+1", "\r\n=1"]
    assert [safe_cell(text) for text in hidden] == ["'" + text for text in hidden]
    assert safe_cell("Li;=HYPERLINK(1)") == "Li;'=HYPERLINK(1)"
    assert safe_cell("a; ＋1;\tb;c") == "a;' ＋1;'\tb;c", "every cell a ; starts"
    assert safe_cell("=1;-2") == "'=1;'-2"
    harmless = ["王芳", " 5 stars", "a-b", "x@y", "", "1;2", "\ncmd"]
    assert [safe_cell(text) for text in harmless] == harmless, "other text kept exactly"
    assert (safe_cell(-5), safe_cell(-0.5), safe_cell(None)) == (-5, -0.5, None)


def test_a_semicolon_cell_in_the_csv_is_neutralised() -> None:
    report = compute_metrics(
        fold(a_day_at_the_desk()), start=START, end=END, now=NOW, by=["channel"]
    )
    group = report.groups[0].model_copy(update={"key": {"channel": "x;＝cmd"}})

    text = metrics_csv(report.model_copy(update={"groups": [group]}))

    (row,) = csv.DictReader(io.StringIO(text))
    assert row["channel"] == "x;'＝cmd"


def monthly_with_hints(hints: list[str]) -> str:
    """November's report over one ticket per category hint, as a web form's traveller typed it."""
    desk = Desk()
    for n, hint in enumerate(hints):
        desk.opened(f"TH{n}", n, traveller(f"H{n}"))
        opened = desk.envelopes[-1]
        desk.envelopes[-1] = opened.model_copy(
            update={"payload": opened.payload.model_copy(update={"category_hint": hint})}
        )
    month = date(2026, 11, 1)
    return render_monthly(build_monthly(fold(desk), tenant="acme", month=month, now=NOW), month)


def test_a_category_a_traveller_typed_is_drawn_as_text_not_parsed_as_math() -> None:
    """A web form's category hint is the traveller's text: matplotlib read ``$…$`` in a tick
    label as mathtext, so ``$\\frac{$`` made the manager's monthly report a 500."""
    html = monthly_with_hints(["$\\frac{$", "$x^2$ refund", "<script>alert(1)</script>"])

    assert ">$x^2$ refund</text>" in html, "the tick label is the text as typed"
    assert ">$\\frac{$</text>" in html
    assert "<script>" not in html


def test_top_categories_are_those_with_tickets_not_those_with_only_a_follow_up() -> None:
    """A follow-up in November to October's refund ticket made a November slice with no
    ticket: "refund 0, −100 %" was listed as a top category, while visa, which fell to 0
    just the same without a follow-up, was not."""
    desk = Desk()
    october = -40 * 24 * 60
    for ticket, category in (("R0", "refund"), ("R1", "refund"), ("V0", "visa")):
        desk.opened(ticket, october, traveller(ticket))
        desk.routed(ticket, october + 1, category=category)
    desk.followed_up("R0", 0)
    desk.opened("H0", 0, traveller("H0"))
    desk.routed("H0", 1, category="hotel_issue")
    month = date(2026, 11, 1)

    report = build_monthly(fold(desk), tenant="acme", month=month, now=NOW)

    assert [(t.category, t.count, t.previous) for t in report.categories_month] == [
        ("hotel_issue", 1, 0)
    ]
    assert report.current.contacts == 2, "the follow-up still counts as a contact"


def test_the_report_says_where_its_month_days_and_weeks_are_cut() -> None:
    """A tenant with no business hours (24/7 everywhere) has its month in UTC, and the page
    says so: a manager reconciling by hand knows where the month was cut."""
    month = date(2026, 11, 1)
    html = render_monthly(build_monthly([], tenant="acme", month=month, now=NOW), month)

    assert "2026-11-01 00:00 to 2026-12-01 00:00 UTC" in html
    assert "days and weeks are cut there too" in html


def test_a_month_across_a_daylight_saving_change_names_both_offsets() -> None:
    desk = Desk(tenant="us-office")
    desk.opened("U1", 0, traveller("U1"))
    desk.routed("U1", 1, time_zone="America/New_York")
    month = date(2026, 11, 1)
    report = build_monthly(
        fold(desk), tenant="us-office", month=month, now=NOW, time_zone="America/New_York"
    )
    html = render_monthly(report, month)

    assert "2026-11-01 00:00 to 2026-12-01 00:00 America/New_York (UTC-04:00 to UTC-05:00)" in html


def test_chinese_and_japanese_labels_reach_the_chart_as_text_not_missing_glyphs() -> None:
    """The charts drew each label's glyphs as paths from matplotlib's own font, which has no
    Chinese or Japanese: a category hint like 行李延误 came out as empty boxes. Labels stay
    text, drawn by the reader's browser with its fonts."""
    html = monthly_with_hints(["行李延误", "手荷物の遅延"])

    assert ">行李延误</text>" in html
    assert ">手荷物の遅延</text>" in html
