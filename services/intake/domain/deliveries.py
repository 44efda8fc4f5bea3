"""Notices notify delivered for a ticket, as steps of the ticket's timeline.

Notify owns its delivery log; the ticket keeps only what intake decided. The
ticket view merges the two at read time (``services.intake.notify_reader``), so
a contact costs no receipt consumed and no ticket written per notice (#20): an
agent reads a ticket far less often than notices go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import SkippedChannel
from contracts.text import as_utc
from services.intake.domain.records import TimelineEntry


class Delivered(BaseModel):
    """One delivered notice of notify's log (``GET /v1/notifications``), as intake reads it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    recipient: str
    channel: str
    template: str
    language: str
    delivered_at: datetime
    skipped: list[SkippedChannel] = Field(default_factory=list)


def skipped(channels: Sequence[SkippedChannel]) -> str:
    """``wecom skipped: no wecom gateway configured``: channels notify could not use."""
    return "; ".join(f"{c.channel} skipped: {c.reason}" for c in channels)


def delivered_step(delivered: Delivered) -> TimelineEntry:
    passed_over = skipped(delivered.skipped)
    return TimelineEntry(
        at=delivered.delivered_at,
        kind="notified",
        actor="notify",
        service="notify",
        summary=f"{delivered.template} delivered via {delivered.channel}"
        + (f" ({passed_over}; fell back to {delivered.channel})" if passed_over else ""),
        details={
            "recipient": delivered.recipient,
            "language": delivered.language,
            **({"skipped": passed_over} if passed_over else {}),
        },
    )


def with_deliveries(
    timeline: Sequence[TimelineEntry], delivered: Sequence[Delivered]
) -> list[TimelineEntry]:
    """The ticket's own steps and each delivered notice, oldest first (a tie keeps the
    ticket's step first: the acknowledgement before its delivery)."""
    steps = [*timeline, *(delivered_step(d) for d in delivered)]
    return sorted(steps, key=lambda step: as_utc(step.at))
