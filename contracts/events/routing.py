"""Routing's decisions about a new ticket: the queue and priority, or the bot's answer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Event
from contracts.events.values import Channel, Priority, Traveller
from contracts.text import TimeZoneName


class CategoryConfidence(BaseModel):
    """One category the classifier considered, with its probability."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    category: str
    confidence: float = Field(ge=0.0, le=1.0)


class TicketRouted(Event):
    schema_name: ClassVar[str] = "ticket.routed"

    ticket_id: str
    traveller: Traveller
    queue: str
    assignee: str | None = None
    category: str | None = None
    priority: Priority
    previous_priority: Priority | None = Field(
        default=None,
        description="The priority the ticket's previous ``ticket.routed`` carried while open: "
        "none at its first routing and at a reopen (and on older events). Notify alerts the "
        "managers of a critical ticket only when it was not critical already.",
    )
    first_response_due: datetime
    resolution_due: datetime
    reason: str = Field(description="Why this queue and priority: shown on the timeline.")
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="The tenant's business time zone (the IANA zone of its SLA calendar for "
        "this priority): notices show times in it to whoever has no zone of their own. None "
        "for a calendar without one (24/7) and on older events: UTC.",
    )
    routed_at: datetime
    language: str | None = Field(
        default=None,
        description="Language detected in the contact; a proactive ticket's (TripCare wrote "
        "its text) is its traveller's stated one, else en, with no ``language_confidence``.",
    )
    urgency: str | None = Field(default=None, description="Urgency the classifier read.")
    sentiment: str | None = Field(default=None, description="negative, neutral or positive.")
    top_categories: list[CategoryConfidence] = Field(
        default_factory=list, description="The classifier's best categories, most likely first."
    )
    category_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``category``."
    )
    urgency_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``urgency``."
    )
    sentiment_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``sentiment``."
    )
    language_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Calibrated probability of ``language``."
    )
    rule: str | None = Field(
        default=None, description="The routing rule that picked the queue (see docs/routing.md)."
    )
    bot_decision: str | None = Field(
        default=None, description="Why the knowledge-base bot did not answer this time."
    )
    quiet: bool = Field(
        default=False,
        description="Opened by list or bulk mail, or by mail whose sender asked for no "
        "automatic answer (X-Auto-Response-Suppress): the traveller is not told (RFC 3834).",
    )
    proactive: bool = Field(
        default=False, description="A proactive ticket: its notice already told the traveller."
    )
    account_manager: str | None = Field(
        default=None,
        description="The tenant's account manager (routing's policy): alerted when a ticket "
        "becomes critical.",
    )
    support_manager: str | None = Field(
        default=None,
        description="The tenant's support manager (routing's policy): alerted when a ticket "
        "becomes critical.",
    )


class TicketBotAnswered(Event):
    """Routing's bot answered the contact from the knowledge base; notify delivers the answer.

    The ticket waits as ``bot_answered``; a traveller who says it did not help
    (or writes again) reopens it to a human.
    """

    schema_name: ClassVar[str] = "ticket.bot_answered"

    ticket_id: str
    channel: Channel
    traveller: Traveller
    article_id: str
    title: str = Field(description="The article's title, in ``language``.")
    answer: str = Field(description="The answer text sent to the traveller, in ``language``.")
    language: str = Field(description="zh-Hans, zh-Hant, en or ja.")
    confidence: float = Field(ge=-1.0, le=1.0, description="Similarity of contact and article.")
    threshold: float = Field(description="The calibrated similarity the answer had to clear.")
    category: str | None = None
    top_categories: list[CategoryConfidence] = Field(default_factory=list)
    reason: str = Field(description="Why the bot answered: shown on the timeline.")
    answered_at: datetime
