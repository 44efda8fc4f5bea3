"""What the ops dashboard shows, computed from the metrics read model. Pure: ``now`` is passed in.

The headline figures are the very ``Metrics`` that ``GET /v1/metrics`` answers
for the same tenant and window, so the screen and the API can never disagree;
each tile carries its raw value and its path in that JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.feedback.domain.facts import TicketFacts
from services.feedback.domain.metrics import MetricsReport


@dataclass(frozen=True)
class Tile:
    key: str
    """Word-table key of the label."""
    path: str
    """Where the same number is in ``GET /v1/metrics`` (dots between keys)."""
    value: float | int | None
    unit: str
    """``count``, ``share`` (0–1 shown as %), ``seconds`` (shown as minutes) or ``score``."""

    @property
    def shown(self) -> str:
        if self.value is None:
            return "–"
        if self.unit == "share":
            return f"{self.value * 100:.1f}%"
        if self.unit == "seconds":
            return f"{self.value / 60:.1f} min"
        if self.unit == "score":
            return f"{self.value:.2f}"
        return str(self.value)


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    open: int
    oldest_waiting_s: int


def _at(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


TILES = (
    ("tickets", "tickets", "count"),
    ("open", "open", "count"),
    ("resolved", "resolved", "count"),
    ("frt", "first_response_time_s.avg", "seconds"),
    ("ttr", "resolution_time_s.avg", "seconds"),
    ("fcr", "first_contact_resolution_rate", "share"),
    ("csat", "csat.avg", "score"),
    ("nps", "nps.score", "score"),
    ("sla_attainment", "sla.attainment.rate", "share"),
    ("bot_rate", "bot.answer_rate", "share"),
    ("repeat_rate", "repeat_contact_rate", "share"),
    ("appeals", "appeals.filed", "count"),
    ("sla_breaches", "sla.breaches", "count"),
)


def tiles(overall: MetricsReport) -> list[Tile]:
    """Each tile reads its number at its path in the metrics, never computes its own."""
    data = overall.model_dump(mode="json")
    return [Tile(key, path, _at(data, path), unit) for key, path, unit in TILES]


def volumes(report: MetricsReport, dimension: str) -> list[tuple[str, int]]:
    """Tickets per slice, largest first."""
    counted = [(g.key.get(dimension) or "?", g.metrics.tickets) for g in report.groups]
    return sorted(counted, key=lambda item: (-item[1], item[0]))


def trends(report: MetricsReport) -> dict[str, list[Any]]:
    """Per day, oldest first: volume, FRT and TTR (minutes), FCR, CSAT and NPS."""
    days = sorted(report.groups, key=lambda g: g.key.get("day", ""))

    def minutes(value: float | None) -> float | None:
        return None if value is None else round(value / 60, 1)

    return {
        "days": [g.key.get("day", "") for g in days],
        "tickets": [g.metrics.tickets for g in days],
        "frt_min": [minutes(g.metrics.first_response_time_s.avg) for g in days],
        "ttr_min": [minutes(g.metrics.resolution_time_s.avg) for g in days],
        "fcr": [g.metrics.first_contact_resolution_rate for g in days],
        "csat": [g.metrics.csat.avg for g in days],
        "nps": [g.metrics.nps.score for g in days],
    }


def queue_depths(facts: list[TicketFacts], now: datetime) -> list[QueueDepth]:
    """Open tickets per queue and how long the oldest has waited, deepest first.

    A ticket whose bot answer stands waits for nobody: it is in no queue (it showed as
    queue "-", its "oldest waiting" growing for as long as the answer was good).
    """
    oldest: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    for fact in facts:
        if fact.opened_at is None or fact.merged_into or fact.closed_at is not None:
            continue
        if fact.resolved_at is not None or fact.bot_answer_stands:
            continue
        queue = fact.queue or "-"
        counts[queue] = counts.get(queue, 0) + 1
        oldest[queue] = min(oldest.get(queue, fact.opened_at), fact.opened_at)
    depths = [
        QueueDepth(queue, counts[queue], int((now - oldest[queue]).total_seconds()))
        for queue in counts
    ]
    return sorted(depths, key=lambda d: (-d.open, d.queue))
