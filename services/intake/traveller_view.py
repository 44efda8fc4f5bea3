"""The ticket as the traveller reads it, in their language (issue #18, item 7). Pure.

The staff timeline's summaries are English and name queues by id ("Routed to
disruption (high)"); behind the tracking link, in the page and in the JSON
alike, every step reads in the traveller's language and a queue reads as its
team ("航班异常处理团队", "our travel disruption team" — ``contracts.teams``).
Internal notes, SLA alarms and routing's reasons never appear; the agent's or
the bot's own words are shown as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from contracts.teams import team_name
from runtime.pages import WordTable
from services.intake.domain import Ticket, TimelineEntry

WORDS = WordTable(Path(__file__).parent / "templates" / "tracking" / "messages.json")
"""The tracking page's words: the page and the JSON say the same."""

SHOWN = frozenset(
    {
        "received",
        "proactive",
        "disruption_changed",
        "follow_up",
        "acknowledged",
        "routed",
        "bot_answered",
        "replied",
        "resolved",
        "reopened",
        "survey_sent",
        "rated",
        "appealed",
        "appeal_decided",
    }
)
"""Timeline steps a traveller sees; notes, notices and routing's reasons stay inside."""
QUOTED = frozenset({"replied", "resolved", "bot_answered"})
"""Steps that carry words written for the traveller (shown as written)."""


class TrackingStep(BaseModel):
    at: datetime
    kind: str
    summary: str = Field(description="In the traveller's language.")
    message: str | None = Field(default=None, description="What we wrote to them, if anything.")


def visible(timeline: list[TimelineEntry]) -> list[TimelineEntry]:
    return [entry for entry in timeline if entry.kind in SHOWN]


def steps(ticket: Ticket, words: Mapping[str, str], language: str) -> list[TrackingStep]:
    """Every step the traveller may see, summarised in ``language``."""
    shown = []
    for entry in visible(ticket.timeline):
        summary = words[f"kind_{entry.kind}"]
        queue = entry.details.get("queue")
        if entry.kind == "routed" and queue:
            summary = words["kind_routed_to"].format(team=team_name(queue, language))
        message = entry.details.get("message") if entry.kind in QUOTED else None
        shown.append(TrackingStep(at=entry.at, kind=entry.kind, summary=summary, message=message))
    return shown


def handled_by(ticket: Ticket, words: Mapping[str, str], language: str) -> str:
    """Who is on it: a person (not named), their team, or "finding the right team"."""
    if ticket.assignee:
        return words["an_agent"]
    if ticket.queue:
        return words["our_team"].format(team=team_name(ticket.queue, language))
    return words["being_routed"]
