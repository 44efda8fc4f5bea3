"""Complaint trends: the most frequent categories now, against the previous period."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel


class Trend(BaseModel):
    category: str
    count: int
    previous: int
    change: float | None
    """Relative change against the previous period (0.15 = +15 %); None when it had none."""


def category_trends(current: Counter[str], previous: Counter[str], *, top: int = 5) -> list[Trend]:
    """The most frequent categories now, each with its change on the previous period."""
    ranked = sorted(current.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [
        Trend(
            category=category,
            count=count,
            previous=previous.get(category, 0),
            change=round(count / previous[category] - 1, 4) if previous.get(category) else None,
        )
        for category, count in ranked
    ]
