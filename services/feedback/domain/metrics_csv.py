"""The metrics as CSV: one flat row per slice, text cells safe from spreadsheet formulas. Pure."""

from __future__ import annotations

import csv
import io
import unicodedata
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


FORMULA_SIGNS = ("=", "+", "-", "@")
"""A spreadsheet runs a cell whose first non-blank character is one of these as a formula
(CSV injection), their full-width forms (``＝``) included."""

CONTROL_STARTS = ("\t", "\r")
"""A cell starting with a tab or carriage return is run too (OWASP's list)."""

LOCALE_SEPARATOR = ";"
"""Excel in a locale whose list separator is ``;`` (de, fr) opens the file splitting there,
so each ``;`` starts a cell of its own, whatever the file's commas and quotes say."""


def _runs_as_formula(text: str) -> bool:
    """NFKC folds ``＝＋－＠`` to their ASCII forms for the check only; blanks before the sign
    do not stop a spreadsheet running it."""
    if text.startswith(CONTROL_STARTS):
        return True
    return unicodedata.normalize("NFKC", text).lstrip().startswith(FORMULA_SIGNS)


def safe_cell(value: Any) -> Any:
    """Free text that a spreadsheet would run as a formula, with a ``'`` before it (and before
    each such part a ``;`` starts) to stay text, the text otherwise exactly as it was; numbers
    as they are (a negative number is a number)."""
    if not isinstance(value, str):
        return value
    parts = value.split(LOCALE_SEPARATOR)
    return LOCALE_SEPARATOR.join("'" + part if _runs_as_formula(part) else part for part in parts)


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
