"""The metrics as CSV: one flat row per slice, text cells safe from spreadsheet formulas. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from services.feedback.domain.metrics import Metrics, MetricsReport


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


EXCEL_BOM = "\ufeff"
"""The UTF-8 byte order mark: Excel reads a CSV without it in the machine's legacy code page
(王芳 comes out as mojibake); with it, as UTF-8. Other readers may show it as a stray
character in the first header, so it is asked for (``?bom=true``), not the default."""


def metrics_csv(report: MetricsReport, *, bom: bool = False) -> str:
    """One row per group (or one for the whole window when not sliced); text cells are
    neutralised against CSV injection (``safe_cell``); ``bom``: Excel's variant."""
    rows = (
        [{**group.key, **metrics_row(group.metrics)} for group in report.groups]
        if report.by
        else [metrics_row(report)]
    )
    columns = [*report.by, *metrics_row(report).keys()]
    out = io.StringIO()
    if bom:
        out.write(EXCEL_BOM)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
